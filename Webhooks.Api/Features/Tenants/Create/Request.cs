using FastEndpoints;
using FluentValidation;
using Webhooks.Api.Features.Shared;

namespace Webhooks.Api.Features.Tenants.Create;

internal sealed class Request
{
    /// <summary>The tenant's display name, 1–200 characters.</summary>
    public string? Name { get; init; }

    /// <summary>The tenant's first user, who owns it: only the owner may add users.</summary>
    public NewOwner? Owner { get; init; }
}

internal sealed class NewOwner
{
    public string? Email { get; init; }
    public string? Name { get; init; }
}

internal sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Name).DisplayName();
        RuleFor(r => r.Owner).NotNull().WithMessage("owner is required: {\"email\": …, \"name\": …}.");
        // Nested names are spelled out: the error naming would otherwise camel-case only the first segment (owner.Email).
        RuleFor(r => r.Owner!.Email).Email().OverridePropertyName("owner.email").When(r => r.Owner is not null);
        RuleFor(r => r.Owner!.Name).DisplayName().OverridePropertyName("owner.name").When(r => r.Owner is not null);
    }
}
