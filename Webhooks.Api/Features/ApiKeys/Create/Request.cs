using FastEndpoints;
using FluentValidation;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.ApiKeys.Create;

internal sealed class Request
{
    /// <summary>What the key is for, 1–200 characters ("billing service", "Ada's laptop").</summary>
    public string? Name { get; init; }

    /// <summary>When the key stops working, in the future; leave out for a key that never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The user the key acts as; by default the caller. Only the tenant owner may name another user.</summary>
    public Guid? UserId { get; init; }
}

internal sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Name).Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("name is required and may not be blank.")
            .MaximumLength(ApiKey.MaxNameLength).WithMessage($"name must be at most {ApiKey.MaxNameLength} characters.")
            .StorableText();
        // Resolved per request: FastEndpoints keeps one validator per process, shared by every host in it (see Webhooks.Create).
        RuleFor(r => r.ExpiresAt).Must(at => at > Resolve<TimeProvider>().GetUtcNow()).When(r => r.ExpiresAt is not null)
            .WithMessage("expiresAt must be in the future.");
    }
}
