using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Deliveries;

/// <summary>What one attempt needs of a delivery, its event and its webhook, read in one query
/// (<see cref="ClaimedDeliveries"/>).</summary>
public sealed record DeliveryWork(
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

    /// <summary>Why the webhook takes no more deliveries (the reason the delivery ends with), or null when it does.</summary>
    public string? WhyWebhookClosed => DeletedAt is not null ? DeliveryEnding.WebhookDeleted
        : !Active || DisabledAt is not null ? DeliveryEnding.WebhookDisabled
        : null;
}
