using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class DeliveryAttemptConfiguration : IEntityTypeConfiguration<DeliveryAttempt>
{
    public void Configure(EntityTypeBuilder<DeliveryAttempt> builder)
    {
        builder.HasIndex(a => new { a.DeliveryId, a.Number }).IsUnique();
        // Header maps are stored as jsonb text through a converter: Npgsql's dynamic JSON mapping of dictionaries
        // needs a global opt-in on the data source, which Aspire builds for us.
        builder.Property(a => a.RequestHeaders).HasColumnType("jsonb")
            .HasConversion(v => Serialize(v), s => Deserialize(s)!, HeadersComparer);
        builder.Property(a => a.ResponseHeaders).HasColumnType("jsonb")
            .HasConversion(v => Serialize(v), s => Deserialize(s), HeadersComparer!);
        builder.Property(a => a.Error).HasMaxLength(2000);
    }

    private static string Serialize(Dictionary<string, string>? headers) => JsonSerializer.Serialize(headers);

    private static Dictionary<string, string>? Deserialize(string json) => JsonSerializer.Deserialize<Dictionary<string, string>>(json);

    private static readonly ValueComparer<Dictionary<string, string>> HeadersComparer = new(
        (a, b) => a == b || (a != null && b != null && a.Count == b.Count && !a.Except(b).Any()),
        d => d == null ? 0 : d.Aggregate(0, (hash, pair) => hash ^ pair.GetHashCode()),
        d => d == null ? null! : new Dictionary<string, string>(d));
}
