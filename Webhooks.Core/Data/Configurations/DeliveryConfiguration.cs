using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class DeliveryConfiguration : IEntityTypeConfiguration<Delivery>
{
    public void Configure(EntityTypeBuilder<Delivery> builder)
    {
        // The Postgres enum delivery_status (mapped in WebhooksDatabase): SQL literals like 'pending' compare with it.
        builder.Property(d => d.LastError).HasMaxLength(2000);
        // The reconciler sweeps live deliveries by due time; a partial index keeps that cheap however big history grows.
        builder.HasIndex(d => d.NextAttemptAt).HasFilter("status IN ('pending', 'retrying')");
        builder.HasIndex(d => new { d.TenantId, d.Id });
        builder.HasIndex(d => d.EventId);
        builder.HasIndex(d => new { d.WebhookId, d.Status });
        // Retention deletes by age and status.
        builder.HasIndex(d => new { d.Status, d.CompletedAt });
        builder.HasOne(d => d.Webhook).WithMany().HasForeignKey(d => d.WebhookId).OnDelete(DeleteBehavior.Cascade);
        // REVIEW: the two relationships below stay in the model for the navigations, but the database has no constraint
        // for them (dropped by the PartitionedDeliveries migration; EF Core 10 cannot declare an unconstrained relationship,
        // so the snapshot still lists them). Deliveries and attempts are partitioned by week and retention drops whole
        // partitions, which constraints between the tables would block (and they cost ~40% of the publish insert, issue 17).
        // What keeps integrity instead: a delivery is only ever inserted in the statement that inserts its event (publish,
        // ping), an attempt only for a delivery its statement just updated (AttemptStore's fence), attempts are partitioned
        // by delivery_id so they go with their delivery, and events are deleted only once no delivery refers to them.
        builder.HasOne(d => d.Event).WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.NoAction);
        builder.HasMany(d => d.Attempts).WithOne().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.NoAction);
    }
}
