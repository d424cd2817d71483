using FastEndpoints;
using Webhooks.Api.Features.Shared;

namespace Webhooks.Api.Features.ApiKeys.List;

internal sealed class Request : PageRequest
{
    /// <summary>Only this user's keys. The tenant owner may name any user of the tenant; a member only themself.</summary>
    [QueryParam] public Guid? UserId { get; init; }
}

internal sealed class Validator : PageRequestValidator<Request>;
