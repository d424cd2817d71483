namespace Webhooks.Core.Data.Entities;

/// <summary>One event sent to one webhook, across all its attempts.</summary>
public sealed class Delivery
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid EventId { get; set; }
    public Guid WebhookId { get; set; }
    public DeliveryStatus Status { get; set; }
    /// <summary>Attempts made so far; also the fence: a result is written only if it is for attempt AttemptCount + 1.</summary>
    public int AttemptCount { get; set; }
    /// <summary>When the next attempt is due; null once the delivery is final.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>Why a delivery ended without success when no attempt says it (webhook disabled or deleted).</summary>
    public string? LastError { get; set; }

    public Event? Event { get; set; }
    public Webhook? Webhook { get; set; }
    public List<DeliveryAttempt> Attempts { get; set; } = [];
}
