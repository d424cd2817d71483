using Webhooks.Core.Data.Entities;

namespace Webhooks.Dispatcher.Processing;

/// <summary>What one attempt needs of a delivery, its event and its webhook, read in one query.</summary>
internal sealed record DeliveryWork(
    Guid Id,
    Guid TenantId,
    Guid WebhookId,
    DeliveryStatus Status,
    int AttemptCount,
    DateTimeOffset? NextAttemptAt,
    Guid EventId,
    string EventType,
    string Payload,
    DateTimeOffset EventCreatedAt,
    string? TraceParent,
    string Url,
    bool Active,
    DateTimeOffset? DisabledAt,
    DateTimeOffset? DeletedAt,
    byte[] SecretCiphertext,
    byte[]? PreviousSecretCiphertext,
    DateTimeOffset? PreviousSecretExpiresAt)
{
    public bool IsFinal => Status is DeliveryStatus.Success or DeliveryStatus.Failed;

    /// <summary>Why the webhook takes no more deliveries, or null when it does.</summary>
    public string? WhyWebhookClosed => DeletedAt is not null ? "webhook deleted"
        : !Active || DisabledAt is not null ? "webhook disabled"
        : null;
}
