using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class PortalLinkConfiguration : IEntityTypeConfiguration<PortalLink>
{
    public void Configure(EntityTypeBuilder<PortalLink> builder)
    {
        // Tokens carry 256 random bits, so a plain SHA-256 looked up by equality is as safe as a slow hash.
        builder.HasIndex(l => l.Hash).IsUnique();
        builder.HasOne<User>().WithMany().HasForeignKey(l => l.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
