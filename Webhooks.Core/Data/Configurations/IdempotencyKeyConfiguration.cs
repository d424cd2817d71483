using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class IdempotencyKeyConfiguration : IEntityTypeConfiguration<IdempotencyKey>
{
    public void Configure(EntityTypeBuilder<IdempotencyKey> builder)
    {
        // The primary key is what makes concurrent repeats of one Idempotency-Key create a single event (the publish
        // statement inserts the key first, ON CONFLICT DO NOTHING, and the event only if its key got in).
        builder.HasKey(k => new { k.TenantId, k.Key });
        builder.Property(k => k.Key).HasMaxLength(255);
        // Retention finds the keys of events it dropped by their ids (UUIDv7, so a week is a range).
        builder.HasIndex(k => k.EventId);
        // No foreign key to events (partitioned, and dropped a week at a time: retention deletes the keys), nor to
        // tenants: its check cost the publish statement ~0.1 ms per 10 keys (EXPLAIN ANALYZE), and tenants are never
        // deleted; a key whose event is gone, whatever the reason, is deleted by retention's sweep of old keys.
    }
}
