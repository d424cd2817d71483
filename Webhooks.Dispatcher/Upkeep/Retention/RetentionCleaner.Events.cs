using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Core.Data;

namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>
/// The events half of retention: events keep the payloads, the bulk of the data, and go once past the longer of the two
/// retentions and left with no delivery, with their idempotency keys (a key lives as long as its event, so it can be
/// used again once its event is gone).
/// </summary>
/// <remarks>
/// A weekly partition of events is dropped whole once it is past that cut-off and no partition of deliveries covering
/// any of its week is left (so it runs after the deliveries' weeks are dropped, and the events to keep are the few
/// still referenced by a kept delivery, found through the deliveries' event_id index). A delivery is only ever written
/// with a new event (publish, ping), in the week being written, so no delivery can come to reference a week being
/// dropped while it is dropped. The keys of the dropped events are then deleted in bounded batches (they are few and
/// narrow: one row per keyed event): a sweep of every key whose event is older than the cut-off and gone, so a run
/// stopped between the drop and the sweep is finished by the next one. Events outside the weekly partitions (DEFAULT,
/// the pre-partitioning table until its turn) are deleted row by row, with their keys in the same statement.
/// REVIEW: between a week's drop and the sweep of its keys (seconds, or until the next run if the run stops there), a
/// repeat of one of those keys finds the key taken but no event, and its publish fails with a 500 (EventPublisher's
/// "no event holds the key"); the publisher's retry after the sweep makes a new event. Deleting the week's keys before
/// the drop (those of events no delivery refers to, found against the few referenced event ids) would close it.
/// </remarks>
internal sealed partial class RetentionCleaner
{
    /// <summary>Drops every weekly partition of events past <paramref name="cutoff"/> that no deliveries partition overlaps.</summary>
    private async Task<List<DroppedWeek>> DropExpiredEventWeeksAsync(NpgsqlConnection connection, DateTimeOffset cutoff, CancellationToken ct)
    {
        var deliveries = (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Deliveries, ct)).Where(p => !p.IsDefault).ToList();
        var dropped = new List<DroppedWeek>();
        foreach (var week in (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Events, ct))
                 .Where(p => p.To is { } to && to <= cutoff).OrderBy(p => p.To))
        {
            if (deliveries.Any(d => (d.From is null || d.From < week.To) && (week.From is null || d.To > week.From))) continue;
            if (await DropEventWeekAsync(connection, week, ct) is { } done) dropped.Add(done);
        }
        return dropped;
    }

    private async Task<DroppedWeek?> DropEventWeekAsync(NpgsqlConnection connection, DeliveryPartitions.Partition week, CancellationToken ct)
    {
        var rows = await UpkeepLock.ScalarAsync<long>(connection,
            $"SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = '{week.Name}'", ct);
        var from = week.From is { } start ? DeliveryPartitions.LowestId(start) : Guid.Empty;
        var to = DeliveryPartitions.LowestId(week.To!.Value);
        var done = await DropInTransactionAsync(connection, week.Name, async transaction =>
        {
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new($"SET LOCAL lock_timeout = '{LockTimeout}'"),
                    new($"LOCK TABLE {DeliveryPartitions.Events} IN ACCESS EXCLUSIVE MODE"),
                    new($"ALTER TABLE {DeliveryPartitions.Events} DETACH PARTITION \"{week.Name}\""),
                    // The events a delivery still refers to: its deliveries' weeks are gone, so these are the kept
                    // ones (now in the deliveries' DEFAULT partition), a range scan of each partition's event_id index.
                    new("""
                        CREATE TEMP TABLE retention_kept_events ON COMMIT DROP AS
                        SELECT DISTINCT event_id AS id FROM deliveries WHERE event_id >= $1 AND event_id < $2
                        """) { Parameters = { new() { Value = from }, new() { Value = to } } },
                    // No week covers these ids any more: they land in the DEFAULT partition.
                    new($"INSERT INTO {DeliveryPartitions.Events} SELECT e.* FROM \"{week.Name}\" e JOIN retention_kept_events k ON k.id = e.id"),
                    new($"DROP TABLE \"{week.Name}\""),
                },
            };
            await using (var reader = await batch.ExecuteReaderAsync(ct))
                while (await reader.NextResultAsync(ct)) { }
            return new DroppedWeek(rows, batch.BatchCommands[4].RecordsAffected);
        }, ct);
        if (done is not null) LogDroppedEventWeek(week.Name, rows, done.Kept);
        return done;
    }

    /// <summary>The events partitions retention deletes from row by row: the DEFAULT one and the pre-partitioning table
    /// (until it is dropped whole). The weekly ones are dropped whole, and scanning them here would read them all.</summary>
    private static async Task<List<string>> RowByRowEventPartitionsAsync(NpgsqlConnection connection, CancellationToken ct) =>
        [.. (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Events, ct)).Where(p => p.From is null).Select(p => p.Name)];

    private async Task<int> DeleteOrphanEventsAsync(WebhooksDbContext db, string partition, DateTimeOffset cutoff, int batchSize,
        Progress progress, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            // REVIEW: no index on events.created_at alone, so this filters a scan; old rows sit first in the heap and the
            // LIMIT stops it early. Only the DEFAULT partition and the pre-partitioning table are scanned now.
            // The event's key goes in the same statement, found by the copy events.idempotency_key keeps.
            var sql = $"""
                WITH batch AS (
                    SELECT e.id FROM "{partition}" e
                    WHERE e.created_at < @cutoff AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
                    LIMIT @batch_size
                    FOR UPDATE SKIP LOCKED),
                gone AS (DELETE FROM "{partition}" e USING batch b WHERE e.id = b.id RETURNING e.id, e.tenant_id, e.idempotency_key),
                keys AS (
                    DELETE FROM idempotency_keys k USING gone g
                    WHERE k.tenant_id = g.tenant_id AND k.key = g.idempotency_key AND k.event_id = g.id RETURNING 1)
                SELECT (SELECT count(*)::int FROM gone) AS events, (SELECT count(*)::int FROM keys) AS keys
                """;
            var batch = (await db.Database.SqlQueryRaw<DeletedEvents>(sql, new NpgsqlParameter("cutoff", cutoff),
                new NpgsqlParameter("batch_size", batchSize)).ToListAsync(ct))[0];
            total += batch.Events;
            progress.Add(batch.Events, 0, "events", this);
            if (batch.Events < batchSize) return total;
        }
    }

    /// <summary>Deletes the keys of events older than <paramref name="cutoff"/> that are gone (dropped with their week),
    /// walking the keys in event id order, <paramref name="batchSize"/> at a time, each batch its own statement.</summary>
    private async Task<int> DeleteKeysOfDroppedEventsAsync(NpgsqlConnection connection, DateTimeOffset cutoff, int batchSize,
        Progress progress, CancellationToken ct)
    {
        var (after, total) = (Guid.Empty, 0);
        var below = DeliveryPartitions.LowestId(cutoff);
        while (true)
        {
            await using var command = new NpgsqlCommand("""
                WITH scanned AS (
                    SELECT tenant_id, key, event_id FROM idempotency_keys
                    WHERE event_id > $1 AND event_id < $2 ORDER BY event_id LIMIT $3),
                gone AS (
                    DELETE FROM idempotency_keys k USING scanned s
                    WHERE k.tenant_id = s.tenant_id AND k.key = s.key AND k.event_id = s.event_id
                      AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = s.event_id)
                    RETURNING 1)
                SELECT (SELECT count(*)::int FROM scanned), (SELECT event_id FROM scanned ORDER BY event_id DESC LIMIT 1),
                       (SELECT count(*)::int FROM gone)
                """, connection)
            {
                Parameters = { new() { Value = after }, new() { Value = below }, new() { Value = batchSize } },
            };
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var (scanned, deleted) = (reader.GetInt32(0), reader.GetInt32(2));
            if (scanned > 0) after = reader.GetGuid(1);
            total += deleted;
            progress.Add(deleted, 0, "idempotency keys", this);
            if (scanned < batchSize) return total;
        }
    }

    private sealed record DeletedEvents(int Events, int Keys);

    [LoggerMessage(LogLevel.Information, "Retention dropped partition {Events} (~{Rows} rows), keeping {Kept} events a delivery still refers to")]
    private partial void LogDroppedEventWeek(string events, long rows, int kept);
}
