using FastEndpoints;
using Webhooks.Api.Features.Shared;

namespace Webhooks.Api.Features.Notifications.List;

internal sealed class Request : PageRequest
{
    /// <summary><c>true</c>: only notifications not yet marked read. Absent or <c>false</c>: all of them.</summary>
    [QueryParam] public bool? Unread { get; init; }
}

internal sealed class RequestValidator : PageRequestValidator<Request>;
