using FastEndpoints;
using FluentValidation;

namespace Webhooks.Api.Features.Webhooks.Recover;

internal sealed class Request
{
    public Guid Id { get; init; }

    /// <summary>Failed deliveries created at or after this time are requeued.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>…and before this time (default: now).</summary>
    public DateTimeOffset? Until { get; init; }

    internal sealed class Validator : Validator<Request>
    {
        public Validator()
        {
            RuleFor(r => r.Since).NotNull().WithMessage("since is required (ISO-8601).");
            RuleFor(r => r.Until).GreaterThan(r => r.Since).When(r => r.Until is not null && r.Since is not null)
                .WithMessage("until must be after since.");
        }
    }
}
