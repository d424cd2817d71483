using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class DeliveryAttemptConfiguration : IEntityTypeConfiguration<DeliveryAttempt>
{
    public void Configure(EntityTypeBuilder<DeliveryAttempt> builder)
    {
        builder.HasIndex(a => new { a.DeliveryId, a.Number }).IsUnique();
        builder.Property(a => a.RequestHeaders).HasColumnType("jsonb");
        builder.Property(a => a.ResponseHeaders).HasColumnType("jsonb");
        builder.Property(a => a.Error).HasMaxLength(2000);
    }
}
