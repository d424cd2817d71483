using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class IdempotencyKeyConfiguration : IEntityTypeConfiguration<IdempotencyKey>
{
    public void Configure(EntityTypeBuilder<IdempotencyKey> builder)
    {
        // No key in the model: the table is partitioned by week (migration PartitionedIdempotencyKeys), and what makes
        // concurrent repeats of one Idempotency-Key create a single event is the unique index on (tenant_id, key) each
        // partition holds (made by the migration and the Dispatcher's PartitionMaintainer, unknown to EF like the
        // partitions themselves). A primary key on the parent would have to hold the partition key, so it would not
        // make the key unique, and would cost the publish one more index insert per key. Rows are only written by SQL.
        builder.HasNoKey();
        builder.Property(k => k.Key).HasMaxLength(255);
        // Retention finds the keys of events it deletes by their ids (UUIDv7, so a week is a range).
        builder.HasIndex(k => k.EventId);
        // No foreign key to events (partitioned, and dropped a week at a time with the keys' week), nor to tenants: its
        // check cost the publish statement ~0.1 ms per 10 keys (EXPLAIN ANALYZE), and tenants are never deleted; a key
        // whose event is gone, whatever the reason, is deleted by retention's sweep of old keys.
    }
}
