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
        builder.HasOne(d => d.Event).WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(d => d.Webhook).WithMany().HasForeignKey(d => d.WebhookId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(d => d.Attempts).WithOne().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}
