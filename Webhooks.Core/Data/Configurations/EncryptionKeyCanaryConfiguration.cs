using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Secrets;

namespace Webhooks.Core.Data.Configurations;

internal sealed class EncryptionKeyCanaryConfiguration : IEntityTypeConfiguration<EncryptionKeyCanary>
{
    public void Configure(EntityTypeBuilder<EncryptionKeyCanary> builder)
    {
        builder.HasKey(c => c.KeyId);
        builder.Property(c => c.KeyId).HasMaxLength(SecretProtector.MaxKeyIdLength);
    }
}
