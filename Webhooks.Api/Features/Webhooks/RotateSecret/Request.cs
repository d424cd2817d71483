using FastEndpoints;
using FluentValidation;

namespace Webhooks.Api.Features.Webhooks.RotateSecret;

internal sealed class Request
{
    public const int DefaultGraceSeconds = 86_400;
    public const int MaxGraceSeconds = 604_800;

    public Guid Id { get; init; }

    /// <summary>How long the current secret keeps signing next to the new one, 0–604800 seconds (default 86400, one
    /// day). 0 drops it at once.</summary>
    public int? GraceSeconds { get; init; }
}

internal sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.GraceSeconds).InclusiveBetween(0, Request.MaxGraceSeconds)
            .WithMessage($"graceSeconds must be between 0 and {Request.MaxGraceSeconds} (7 days).");
    }
}
