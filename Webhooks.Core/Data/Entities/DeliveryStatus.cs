namespace Webhooks.Core.Data.Entities;

/// <summary>pending → success | retrying → … → success | failed. Stored and serialized in lower case.</summary>
public enum DeliveryStatus
{
    Pending,
    Retrying,
    Success,
    Failed,
}
