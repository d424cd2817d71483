using Webhooks.Core.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>
/// The weekly partitions of <c>deliveries</c> (by id), <c>delivery_attempts</c> (by delivery_id, so an attempt lives
/// and dies with its delivery), <c>events</c> (by id; a delivery's id is made for its event's millisecond, so the two
/// share a week) and <c>idempotency_keys</c> (by event_id, or a guard row's guard_id in the week before). Every id is a UUIDv7, whose first 48 bits are its unix milliseconds: a week is the
/// range [lowest id of Monday 00:00 UTC, lowest id of the next Monday). A week's partition is named
/// <c>{table}_pYYYYMMDD</c> after its Monday (as the PartitionedDeliveries, PartitionedEvents and
/// PartitionedIdempotencyKeys migrations name them);
/// the migrations also leave a <c>DEFAULT</c> partition (a safety net: an id no week covers still inserts) and, in a
/// database that had rows, the old table as the partition of everything before its first week (for events, the week
/// PartitionedEvents ran, which may be later than the deliveries', and for keys the week PartitionedIdempotencyKeys ran).
/// </summary>
internal static partial class DeliveryPartitions
{
    public static readonly TimeSpan Width = TimeSpan.FromDays(7);

    /// <summary>Partitioned by id, and by delivery_id: partitions of the two with the same bounds are dropped together.</summary>
    public const string Deliveries = "deliveries";
    public const string Attempts = "delivery_attempts";

    /// <summary>Partitioned by id; a week is dropped once no partition of deliveries covering it is left.</summary>
    public const string Events = "events";

    /// <summary>Partitioned by <c>coalesce(guard_id, event_id)</c> with the bounds of the events' weeks, each partition
    /// with its own unique index on (tenant_id, key) (see Webhooks.Core's KeyGuard); a week is dropped with its events.</summary>
    public const string Keys = "idempotency_keys";

    /// <summary>One partition; <see cref="From"/> null for MINVALUE, both null for the DEFAULT partition.</summary>
    public sealed record Partition(string Name, DateTimeOffset? From, DateTimeOffset? To)
    {
        public bool IsDefault => From is null && To is null;

        /// <summary>The ids it holds, [From, To) (MINVALUE as the lowest uuid); not for the DEFAULT partition.</summary>
        public (Guid From, Guid To) Ids => (From is { } from ? WeeklyIds.LowestId(from) : Guid.Empty, WeeklyIds.LowestId(To!.Value));
    }

    public static string NameOf(string table, DateTimeOffset weekStart) =>
        $"{table}_p{weekStart.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";

    /// <summary>The unique index on (tenant_id, key) a partition of <see cref="Keys"/> holds, named as the migration
    /// names the DEFAULT partition's.</summary>
    public static string KeyIndexOf(string keysPartition) => $"ux_{keysPartition}_tenant_id_key";

    /// <summary>The id ranges [From, To) before <paramref name="before"/> that none of <paramref name="partitions"/>
    /// covers but the DEFAULT one, in order.</summary>
    public static List<(Guid From, Guid To)> Uncovered(IEnumerable<Partition> partitions, DateTimeOffset before)
    {
        // The unix epoch's lowest id is the lowest uuid: MINVALUE.
        var (gaps, covered) = (new List<(Guid, Guid)>(), DateTimeOffset.UnixEpoch);
        foreach (var partition in partitions.Where(p => !p.IsDefault).OrderBy(p => p.From ?? DateTimeOffset.UnixEpoch))
        {
            var from = partition.From ?? DateTimeOffset.UnixEpoch;
            if (from >= before) break;
            if (from > covered) gaps.Add((WeeklyIds.LowestId(covered), WeeklyIds.LowestId(from)));
            if (partition.To!.Value > covered) covered = partition.To.Value;
        }
        if (covered < before) gaps.Add((WeeklyIds.LowestId(covered), WeeklyIds.LowestId(before)));
        return gaps;
    }

    /// <summary>The partitions of <paramref name="table"/>, with their bounds read from the catalog.</summary>
    public static async Task<List<Partition>> ListAsync(DbConnection connection, string table, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = '{table}'::regclass ORDER BY c.relname
            """;
        var partitions = new List<Partition>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var (name, bound) = (reader.GetString(0), reader.GetString(1));
            if (bound == "DEFAULT")
            {
                partitions.Add(new Partition(name, null, null));
                continue;
            }
            var match = RangeBound().Match(bound);
            if (!match.Success) throw new InvalidOperationException($"Partition {name} of {table} has an unexpected bound: {bound}");
            partitions.Add(new Partition(name, BoundTime(match.Groups[1].Value), BoundTime(match.Groups[2].Value)));
        }
        return partitions;
    }

    /// <summary>MINVALUE is null; MAXVALUE is not used.</summary>
    private static DateTimeOffset? BoundTime(string value) => value == "MINVALUE" ? null : WeeklyIds.TimeOf(Guid.Parse(value.Trim('\'')));

    [GeneratedRegex(@"^FOR VALUES FROM \((MINVALUE|'[0-9a-f-]{36}')\) TO \(('[0-9a-f-]{36}')\)$")]
    private static partial Regex RangeBound();
}
