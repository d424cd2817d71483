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
/// with a new event (publish, ping), in the week being written, so once a week's deliveries' partitions are gone no
/// delivery can come to reference its events: the set of events to keep can shrink, never grow.
/// The week's idempotency keys are partitioned by the same weeks (see Webhooks.Core's KeyGuard): their partition is
/// detached and dropped in the same transaction as the events', the kept events' keys copied back into the keys'
/// DEFAULT partition as the kept events are into the events' one. So no key ever names an event that is gone, and a
/// week of keys costs what a week of events does: a drop, not ~20,000 deletes a second (most of a day for a week of
/// keyed traffic, as they were deleted before). The guard rows that week holds (of the first hour of the next week's
/// events) go with it: they only mattered while their events were being written.
/// A week whose keys have no partition of its own (the weeks before the upgrade that partitioned the keys, whose keys
/// sit in the old table, now the keys' partition of everything before that upgrade; or keys the DEFAULT partition
/// took) has its keys deleted first, in bounded batches walking the keys' event_id index, then the week is dropped,
/// keeping the same events. A run stopped between the keys and the drop is finished by the next one. A partition of
/// keys left with no partition of events over its range (that old table, once every week of it is gone) is then
/// dropped alone, copying back the keys whose events are still there.
/// Events outside the weekly partitions (DEFAULT, the pre-partitioning table until its turn) are deleted row by row,
/// with their keys in the same statement. Keys whose event is gone all the same (left by a version that swept a week's
/// keys after its drop, and stopped in between) are swept last, only in the id ranges no partition but DEFAULT covers.
/// </remarks>
internal sealed partial class RetentionCleaner
{
    /// <summary>Drops every weekly partition of events past <paramref name="cutoff"/> that no deliveries partition
    /// overlaps, each with its partition of idempotency keys, or after deleting its keys when they have none.</summary>
    /// <returns>The weeks dropped, the partitions of keys dropped with them, and the keys deleted before a drop (also
    /// of a week whose drop then found its table locked, left to the next run).</returns>
    private async Task<(List<DroppedWeek> Weeks, int KeyWeeks, int Keys)> DropExpiredEventWeeksAsync(NpgsqlConnection connection,
        DateTimeOffset cutoff, int batchSize, Progress progress, CancellationToken ct)
    {
        var deliveries = (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Deliveries, ct)).Where(p => !p.IsDefault).ToList();
        var keyWeeks = await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Keys, ct);
        var (dropped, droppedKeyWeeks, keys) = (new List<DroppedWeek>(), 0, 0);
        foreach (var week in (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Events, ct))
                 .Where(p => p.To is { } to && to <= cutoff).OrderBy(p => p.To))
        {
            if (deliveries.Any(d => (d.From is null || d.From < week.To) && (week.From is null || d.To > week.From))) continue;
            var (from, to) = week.Ids;
            var kept = await ReferencedEventsAsync(connection, from, to, ct);
            var keyWeek = keyWeeks.SingleOrDefault(k => !k.IsDefault && k.From == week.From && k.To == week.To);
            var weekKeys = 0;
            if (keyWeek is null)
                foreach (var partition in keyWeeks)
                    weekKeys += await DeleteKeysOfWeekAsync(connection, partition.Name, from, to, kept, batchSize, progress, ct);
            keys += weekKeys;
            if (await DropEventWeekAsync(connection, week, keyWeek, from, to, kept, weekKeys, ct) is not { } done) continue;
            dropped.Add(done);
            if (keyWeek is null) continue;
            droppedKeyWeeks++;
            keyWeeks.Remove(keyWeek); // gone: a later week's batches must not look for it
        }
        return (dropped, droppedKeyWeeks, keys);
    }

    /// <summary>The events of the id range [<paramref name="from"/>, <paramref name="to"/>) a delivery refers to: once
    /// the range's deliveries' weeks are gone, the few kept in the DEFAULT partition; a range scan of each partition's
    /// event_id index.</summary>
    private static async Task<Guid[]> ReferencedEventsAsync(NpgsqlConnection connection, Guid from, Guid to, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT DISTINCT event_id FROM deliveries WHERE event_id >= $1 AND event_id < $2", connection)
        {
            Parameters = { new() { Value = from }, new() { Value = to } },
        };
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        return [.. ids];
    }

    /// <summary>Deletes the idempotency keys in <paramref name="partition"/> of the events of [<paramref name="from"/>,
    /// <paramref name="to"/>) but those of <paramref name="kept"/>, walking its event_id index <paramref name="batchSize"/>
    /// at a time, each batch a statement (and a transaction) of its own: for a week whose keys have no partition of their
    /// own. One partition at a time because a ctid names a row only within its table: through the parent, a batch's ctids
    /// would delete the rows at those places in every partition. A partition holding none of the range reads an empty
    /// stretch of its index.</summary>
    private async Task<int> DeleteKeysOfWeekAsync(NpgsqlConnection connection, string partition, Guid from, Guid to, Guid[] kept,
        int batchSize, Progress progress, CancellationToken ct)
    {
        var (after, total) = (from, 0);
        while (true)
        {
            // Each batch starts at the last event id the one before deleted ("at", not "after": those rows are gone from
            // this statement's snapshot, and should an event hold two keys, the one past the LIMIT is not skipped). The
            // rows are deleted by their ctid, found by the index walk: no second look-up through the primary key.
            await using var command = new NpgsqlCommand($"""
                WITH gone AS (
                    DELETE FROM "{partition}" WHERE ctid = ANY(ARRAY(
                        SELECT ctid FROM "{partition}"
                        WHERE event_id >= $1 AND event_id < $2 AND event_id <> ALL($3)
                        ORDER BY event_id LIMIT $4))
                    RETURNING event_id)
                SELECT count(*)::int, (SELECT event_id FROM gone ORDER BY event_id DESC LIMIT 1) FROM gone
                """, connection)
            {
                Parameters = { new() { Value = after }, new() { Value = to }, new() { Value = kept }, new() { Value = batchSize } },
            };
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var deleted = reader.GetInt32(0);
            if (deleted > 0) after = reader.GetGuid(1);
            total += deleted;
            progress.Add(deleted, 0, "idempotency keys", this);
            if (deleted < batchSize) return total;
        }
    }

    /// <summary>Drops the week with its partition of keys <paramref name="keyWeek"/> (if it has one), copying back
    /// <paramref name="kept"/> (the events whose keys were kept) and any event a delivery refers to now (among them, since
    /// that set only shrinks; the union costs an index range scan and keeps a delivery's event even if it did not), with
    /// their keys' own rows.</summary>
    private async Task<DroppedWeek?> DropEventWeekAsync(NpgsqlConnection connection, DeliveryPartitions.Partition week,
        DeliveryPartitions.Partition? keyWeek, Guid from, Guid to, Guid[] kept, int keys, CancellationToken ct)
    {
        var rows = await UpkeepLock.ScalarAsync<long>(connection,
            $"SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = '{week.Name}'", ct);
        var keyRows = keyWeek is null ? 0 : await UpkeepLock.ScalarAsync<long>(connection,
            $"SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = '{keyWeek.Name}'", ct);
        var done = await DropInTransactionAsync(connection, week.Name, async transaction =>
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(new($"SET LOCAL lock_timeout = '{LockTimeout}'"));
            // The keys first, in the order a publish takes the two (it writes the keys, then the events).
            batch.BatchCommands.Add(new(keyWeek is null
                ? $"LOCK TABLE {DeliveryPartitions.Events} IN ACCESS EXCLUSIVE MODE"
                : $"LOCK TABLE {DeliveryPartitions.Keys}, {DeliveryPartitions.Events} IN ACCESS EXCLUSIVE MODE"));
            batch.BatchCommands.Add(new($"ALTER TABLE {DeliveryPartitions.Events} DETACH PARTITION \"{week.Name}\""));
            if (keyWeek is not null) batch.BatchCommands.Add(new($"ALTER TABLE {DeliveryPartitions.Keys} DETACH PARTITION \"{keyWeek.Name}\""));
            // A kept event that has lost its delivery since is deleted row by row from DEFAULT, with its key.
            batch.BatchCommands.Add(new("""
                CREATE TEMP TABLE retention_kept_events ON COMMIT DROP AS
                SELECT event_id AS id FROM deliveries WHERE event_id >= $1 AND event_id < $2
                UNION SELECT unnest($3::uuid[])
                """) { Parameters = { new() { Value = from }, new() { Value = to }, new() { Value = kept } } });
            // No week covers these ids any more: they land in the DEFAULT partitions.
            var keptEvents = new NpgsqlBatchCommand(
                $"INSERT INTO {DeliveryPartitions.Events} SELECT e.* FROM \"{week.Name}\" e JOIN retention_kept_events k ON k.id = e.id");
            batch.BatchCommands.Add(keptEvents);
            if (keyWeek is not null)
                // The keys' own rows only: a guard row (of a later week's event, or of one that lost its key's race) has
                // done its work once its event was written.
                // "= ANY(ARRAY(…))": found through the partition's event_id index whatever the planner thinks of the
                // temporary table (no statistics), never by reading the week's keys under the lock.
                batch.BatchCommands.Add(new($"""
                    INSERT INTO {DeliveryPartitions.Keys} (tenant_id, key, event_id)
                    SELECT k.tenant_id, k.key, k.event_id FROM "{keyWeek.Name}" k
                    WHERE k.event_id = ANY(ARRAY(SELECT id FROM retention_kept_events)) AND k.guard_id IS NULL
                    """));
            batch.BatchCommands.Add(new(keyWeek is null ? $"DROP TABLE \"{week.Name}\"" : $"DROP TABLE \"{week.Name}\", \"{keyWeek.Name}\""));
            await using (var reader = await batch.ExecuteReaderAsync(ct))
                while (await reader.NextResultAsync(ct)) { }
            return new DroppedWeek(rows, keptEvents.RecordsAffected);
        }, ct);
        if (done is null) return null;
        if (keyWeek is null) LogDroppedEventWeekAfterKeys(week.Name, rows, done.Kept, keys);
        else LogDroppedEventWeek(week.Name, keyWeek.Name, rows, keyRows, done.Kept);
        return done;
    }

    /// <summary>Drops every partition of keys past <paramref name="cutoff"/> over whose range no partition of events is
    /// left but DEFAULT (the old table the upgrade made a partition, once every week of its events is dropped),
    /// copying back the keys' own rows whose events are still there (in the events' DEFAULT partition).</summary>
    private async Task<int> DropKeyPartitionsWithoutEventsAsync(NpgsqlConnection connection, DateTimeOffset cutoff, CancellationToken ct)
    {
        var events = (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Events, ct)).Where(p => !p.IsDefault).ToList();
        var dropped = 0;
        foreach (var keys in (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Keys, ct))
                 .Where(p => p.To is { } to && to <= cutoff).OrderBy(p => p.To))
        {
            if (events.Any(e => (e.From is null || e.From < keys.To) && (keys.From is null || e.To > keys.From))) continue;
            var (from, to) = keys.Ids;
            var done = await DropInTransactionAsync(connection, keys.Name, async transaction =>
            {
                await using var batch = new NpgsqlBatch(connection, transaction)
                {
                    BatchCommands =
                    {
                        new($"SET LOCAL lock_timeout = '{LockTimeout}'"),
                        new($"LOCK TABLE {DeliveryPartitions.Keys} IN ACCESS EXCLUSIVE MODE"),
                        new($"ALTER TABLE {DeliveryPartitions.Keys} DETACH PARTITION \"{keys.Name}\""),
                        // The events of its range still there are the few the events' DEFAULT partition kept (a range
                        // of its primary key); their keys are found through the partition's event_id index, never by
                        // reading the whole partition (the old table, emptied by batches but not shrunk) under the lock.
                        new($"""
                            INSERT INTO {DeliveryPartitions.Keys} (tenant_id, key, event_id)
                            SELECT k.tenant_id, k.key, k.event_id FROM "{keys.Name}" k
                            WHERE k.event_id = ANY(ARRAY(SELECT e.id FROM {DeliveryPartitions.Events} e WHERE e.id >= $1 AND e.id < $2))
                              AND k.guard_id IS NULL
                            """) { Parameters = { new() { Value = from }, new() { Value = to } } },
                        new($"DROP TABLE \"{keys.Name}\""),
                    },
                };
                await using (var reader = await batch.ExecuteReaderAsync(ct))
                    while (await reader.NextResultAsync(ct)) { }
                return new DroppedWeek(0, batch.BatchCommands[3].RecordsAffected);
            }, ct);
            if (done is null) continue;
            LogDroppedKeyPartition(keys.Name, done.Kept);
            dropped++;
        }
        return dropped;
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

    /// <summary>Deletes the keys whose event is gone though its week's keys went before it (left by an older version,
    /// which swept a week's keys after the drop): those of events older than <paramref name="cutoff"/>, in the id ranges
    /// no partition of events covers any more but DEFAULT. There only the keys of the events DEFAULT holds are left
    /// besides (the kept ones), so when there is nothing to sweep this reads next to nothing; a key of a weekly
    /// partition's range names an event of that partition, whose keys go before it.</summary>
    private async Task<int> DeleteKeysOfDroppedEventsAsync(NpgsqlConnection connection, DateTimeOffset cutoff, int batchSize,
        Progress progress, CancellationToken ct)
    {
        var total = 0;
        foreach (var (from, to) in DeliveryPartitions.Uncovered(await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Events, ct), cutoff))
            total += await DeleteKeysOfGoneEventsAsync(connection, from, to, batchSize, progress, ct);
        return total;
    }

    /// <summary>Deletes the keys of [<paramref name="from"/>, <paramref name="to"/>) whose event is gone, walking the keys
    /// in event id order, <paramref name="batchSize"/> at a time, each batch its own statement.</summary>
    private async Task<int> DeleteKeysOfGoneEventsAsync(NpgsqlConnection connection, Guid from, Guid to, int batchSize,
        Progress progress, CancellationToken ct)
    {
        // No UUIDv7 is a range's bound (its version digit is 7, a bound's 0), so "after" the lower bound misses none.
        var (after, total) = (from, 0);
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
                Parameters = { new() { Value = after }, new() { Value = to }, new() { Value = batchSize } },
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

    [LoggerMessage(LogLevel.Information, "Retention dropped partitions {Events} (~{Rows} rows) and {Keys} (~{KeyRows} idempotency keys), " +
        "keeping {Kept} events a delivery still refers to, with their keys")]
    private partial void LogDroppedEventWeek(string events, string keys, long rows, long keyRows, int kept);

    [LoggerMessage(LogLevel.Information, "Retention dropped partition {Events} (~{Rows} rows), keeping {Kept} events a delivery still refers to, " +
        "after deleting {Keys} idempotency keys of its events (they had no partition of their own)")]
    private partial void LogDroppedEventWeekAfterKeys(string events, long rows, int kept, int keys);

    [LoggerMessage(LogLevel.Information, "Retention dropped partition {Keys}, no events partition being left over its range, keeping the {Kept} " +
        "keys whose events are still there")]
    private partial void LogDroppedKeyPartition(string keys, int kept);
}
