using FastEndpoints;
using Webhooks.Api.Features.Shared;

namespace Webhooks.Api.Features.Users.Create;

internal sealed class Request
{
    /// <summary>Unique within the tenant, compared case-insensitively; at most 320 characters.</summary>
    public string? Email { get; init; }

    /// <summary>1–200 characters.</summary>
    public string? Name { get; init; }
}

internal sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Email).Email();
        RuleFor(r => r.Name).DisplayName();
    }
}
