using FastEndpoints;
using FluentValidation;

namespace Webhooks.Api.Features.Webhooks.Stats;

internal sealed class Request
{
    public const int DefaultHours = 24;
    public const int MaxHours = 168;

    public Guid Id { get; init; }

    /// <summary>How far back, in hours: 1–168, default 24. The window is cut into 24 equal buckets.</summary>
    [QueryParam] public int? Hours { get; init; }

    internal sealed class Validator : Validator<Request>
    {
        public Validator() =>
            RuleFor(r => r.Hours).InclusiveBetween(1, MaxHours).When(r => r.Hours is not null)
                .WithMessage($"hours must be between 1 and {MaxHours}.");
    }
}
