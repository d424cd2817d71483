namespace Webhooks.Core.Data.Entities;

/// <summary>pending → success | retrying → … → success | failed. Stored as the Postgres enum <c>delivery_status</c>
/// (see <see cref="Data.WebhooksDatabase"/>) and serialized, in lower case.</summary>
public enum DeliveryStatus
{
    Pending,
    Retrying,
    Success,
    Failed,
}
