using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> builder)
    {
        builder.Property(w => w.Url).HasMaxLength(2048);
        builder.Property(w => w.Description).HasMaxLength(500);
        builder.Property(w => w.DisabledReason).HasMaxLength(1000);
        builder.Property(w => w.Events).HasColumnType("text[]");
        // Publishing finds a tenant's live subscribers of one type: a GIN index answers `events @> {type}`.
        builder.HasIndex(w => w.TenantId);
        builder.HasIndex(w => w.Events).HasMethod("gin");
        builder.HasOne<Tenant>().WithMany().HasForeignKey(w => w.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(w => w.CreatedByUserId).OnDelete(DeleteBehavior.Restrict);
    }
}
