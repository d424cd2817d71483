using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.Property(k => k.Name).HasMaxLength(ApiKey.MaxNameLength);
        builder.Property(k => k.Prefix).HasMaxLength(16);
        // Keys carry 256 random bits, so a plain SHA-256 looked up by equality is as safe as a slow hash.
        builder.HasIndex(k => k.Hash).IsUnique();
        // Every Api process asks each second for keys revoked since it last looked; few keys are ever revoked, so a
        // partial index keeps that question cheap however many keys exist.
        builder.HasIndex(k => k.RevokedAt).HasFilter("revoked_at IS NOT NULL");
        builder.HasOne<User>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
