using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data.Configurations;

internal sealed class DeliveryAttemptConfiguration : IEntityTypeConfiguration<DeliveryAttempt>
{
    // Npgsql 8+ maps a Dictionary to jsonb only with EnableDynamicJson on the data source (which Aspire builds, and
    // plain UseNpgsql callers would each have to repeat); serializing here works for every context. The column stays jsonb.
    private static readonly ValueConverter<Dictionary<string, string>, string> HeadersAsJson = new(
        headers => JsonSerializer.Serialize(headers, (JsonSerializerOptions?)null),
        json => JsonSerializer.Deserialize<Dictionary<string, string>>(json, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>());

    private static readonly ValueComparer<Dictionary<string, string>> HeadersComparer = new(
        (a, b) => a == b || (a != null && b != null && a.Count == b.Count && !a.Except(b).Any()),
        headers => headers.Aggregate(0, (hash, h) => hash ^ HashCode.Combine(h.Key, h.Value)), // order-independent, like the equality
        headers => new Dictionary<string, string>(headers));

    public void Configure(EntityTypeBuilder<DeliveryAttempt> builder)
    {
        // delivery_attempts is partitioned by delivery_id (the same week as its delivery, so the two are dropped together
        // and the unique (delivery_id, number) fence still holds), and a partitioned table's keys must include that column.
        builder.HasKey(a => new { a.Id, a.DeliveryId });
        builder.Property(a => a.Id).ValueGeneratedOnAdd();
        builder.HasIndex(a => new { a.DeliveryId, a.Number }).IsUnique();
        builder.Property(a => a.RequestHeaders).HasConversion(HeadersAsJson, HeadersComparer).HasColumnType("jsonb");
        builder.Property(a => a.ResponseHeaders).HasConversion(HeadersAsJson!, HeadersComparer!).HasColumnType("jsonb");
        builder.Property(a => a.Error).HasMaxLength(2000);
    }
}
