using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class EventConfiguration : IEntityTypeConfiguration<Event>
{
    public void Configure(EntityTypeBuilder<Event> builder)
    {
        builder.Property(e => e.Type).HasMaxLength(100);
        builder.Property(e => e.Payload).HasColumnType("jsonb");
        builder.Property(e => e.IdempotencyKey).HasMaxLength(255);
        builder.Property(e => e.TraceParent).HasMaxLength(128);
        // A plain copy of the key the event was published under, read with the event (GET /v1/events/{id}); its
        // uniqueness per tenant lives in idempotency_keys, since events are partitioned by id (PartitionedEvents).
        builder.HasIndex(e => new { e.TenantId, e.CreatedAt });
        builder.HasOne<Tenant>().WithMany().HasForeignKey(e => e.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
