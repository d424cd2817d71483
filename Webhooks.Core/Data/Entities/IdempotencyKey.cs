namespace Webhooks.Core.Data.Entities;

/// <summary>
/// An Idempotency-Key a tenant published an event under, and that event: the one place the key is unique per tenant.
/// A row lives as long as its event (retention drops both with their week, or deletes both), so a key can be used
/// again once its event is gone.
/// </summary>
/// <remarks>
/// Partitioned by week like events (so a week of keys is dropped whole with its events, not deleted key by key), on
/// <c>coalesce(guard_id, event_id)</c>. A partitioned table cannot hold a unique index without its partition key, so
/// each weekly partition holds its own unique index on (tenant, key), and a key is unique within a week by that index
/// and across weeks by the publish's look-up of committed keys, plus a guard row for the one race the look-up cannot
/// see: see <see cref="Deliveries.KeyGuard"/>.
/// </remarks>
public sealed class IdempotencyKey
{
    public Guid TenantId { get; set; }
    public required string Key { get; set; }
    public Guid EventId { get; set; }

    /// <summary>Null for the key's own row, which sits in its event's week. Set for a guard row: an id of the week
    /// before the event's, which places the row in that week's partition (<see cref="Deliveries.KeyGuard"/>).</summary>
    public Guid? GuardId { get; set; }
}
