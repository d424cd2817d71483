using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Webhooks;

/// <summary>A webhook as every webhook route shows it. Never carries the signing secret: only creation and rotation
/// return that, once.</summary>
internal class WebhookResponse(Webhook webhook)
{
    public Guid Id { get; } = webhook.Id;
    public string Url { get; } = webhook.Url;
    public string? Description { get; } = webhook.Description;
    public IReadOnlyList<string> Events { get; } = webhook.Events;
    /// <summary>False when deactivated by a user or disabled after repeated failures (see <c>disabledAt</c>).</summary>
    public bool Active { get; } = webhook.Active;
    public int ConsecutiveFailures { get; } = webhook.ConsecutiveFailures;
    public DateTimeOffset? LastSuccessAt { get; } = webhook.LastSuccessAt;
    public DateTimeOffset? LastFailureAt { get; } = webhook.LastFailureAt;
    /// <summary>Set when the service disabled the webhook after repeated failures; <c>PATCH {"active": true}</c> clears it.</summary>
    public DateTimeOffset? DisabledAt { get; } = webhook.DisabledAt;
    public string? DisabledReason { get; } = webhook.DisabledReason;
    public Guid CreatedByUserId { get; } = webhook.CreatedByUserId;
    public DateTimeOffset CreatedAt { get; } = webhook.CreatedAt;
    public DateTimeOffset UpdatedAt { get; } = webhook.UpdatedAt;
}
