namespace Webhooks.Core.Data.Entities;

/// <summary>
/// An Idempotency-Key a tenant published an event under, and that event: the one place the key is unique per tenant.
/// A row lives as long as its event (retention deletes both), so a key can be used again once its event is gone.
/// </summary>
/// <remarks>Not a unique index on <c>events</c>: events are partitioned by week (by id), and a unique index on a
/// partitioned table must hold the partition key, which would make the key unique per event instead of per tenant.</remarks>
public sealed class IdempotencyKey
{
    public Guid TenantId { get; set; }
    public required string Key { get; set; }
    public Guid EventId { get; set; }
}
