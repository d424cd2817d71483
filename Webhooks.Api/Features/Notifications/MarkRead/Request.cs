namespace Webhooks.Api.Features.Notifications.MarkRead;

internal sealed class Request
{
    /// <summary>The notification's id (route).</summary>
    public Guid Id { get; init; }
}
