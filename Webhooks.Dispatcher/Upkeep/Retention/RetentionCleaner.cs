using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Options;
using Webhooks.Dispatcher.Retrying;

namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>
/// Removes finished deliveries past <c>Webhooks:Retention</c> (successful after <c>SuccessfulFor</c>, failed after
/// <c>FailedFor</c>) with their attempts, then events left with no delivery once older than the longer of the two, with
/// their idempotency keys (the events half: RetentionCleaner.Events.cs).
/// </summary>
/// <remarks>
/// Why partitions: deleting row by row ran at ~8,500 rows/s on the 2-core box while ingest ran, days of work for a week
/// of deliveries at the dispatch rate (and ~20,500 events/s, a day for a week of events). So deliveries, attempts and
/// events are partitioned by week (<see cref="DeliveryPartitions"/>,
/// created by <see cref="PartitionMaintainer"/>), and a week whose newest delivery is past <c>SuccessfulFor</c> even
/// after the longest retry chain is dropped whole: in one short transaction the pair of partitions is detached, the few
/// rows that must stay (failed ones not yet past <c>FailedFor</c>, successful ones completed late by a manual retry,
/// and pending or retrying ones, never deleted whatever their age) are copied back through the parent into the DEFAULT
/// partition with their attempts, and the two tables are dropped. So a successful delivery now goes up to a week (the
/// partition width) plus that chain after <c>SuccessfulFor</c>. Weeks of events are dropped after, the same way, each
/// with its week of idempotency keys (see RetentionCleaner.Events.cs).
/// Rows outside the weekly partitions (the DEFAULT partition, and the pre-partitioning table kept as a partition until
/// its own turn) are deleted as before: every statement deletes at most <c>BatchSize</c> rows and commits on its own, so
/// no lock is held for long; rows locked by someone else (a delivery being retried, say) are skipped, not waited for.
/// Cut-offs are computed from the schedule occurrence, not from the clock, so running one occurrence twice deletes
/// nothing the second time. A Postgres session advisory lock keeps several Dispatchers from cleaning at once: the
/// one that cannot take it skips.
/// </remarks>
internal sealed partial class RetentionCleaner(IServiceScopeFactory scopes, IOptions<RetentionOptions> options,
    IOptions<DeliveryOptions> delivery, ILogger<RetentionCleaner> logger)
{
    /// <summary>The advisory lock every Dispatcher asks for before cleaning ("WHRETAIN" in ASCII).</summary>
    internal const long LockKey = 0x5748_5245_5441_494E;
    private const int ProgressEveryBatches = 10;

    /// <summary>Dropping a week waits this long for its exclusive lock, so that a long query ahead of it does not make
    /// every publish queue behind it; it tries again a few times, then leaves the week to the next run.</summary>
    private const string LockTimeout = "2s";
    private const int LockTries = 5;

    public async Task<RetentionResult> RunOnceAsync(DateTimeOffset now, CancellationToken ct)
    {
        var settings = options.Value;
        var (taken, result) = await UpkeepLock.TryRunAsync(scopes, LockKey, (db, _) => CleanAsync(db, now, settings, ct), ct);
        if (taken) return result;
        LogSkipped();
        return RetentionResult.Skipped;
    }

    private async Task<RetentionResult> CleanAsync(WebhooksDbContext db, DateTimeOffset now, RetentionOptions settings, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var (successfulCutoff, failedCutoff) = (now - settings.SuccessfulFor, now - settings.FailedFor);
        var weeks = await DropExpiredWeeksAsync(connection, successfulCutoff, failedCutoff, ct);

        var progress = new Progress();
        var (successful, failed) = (0, 0);
        foreach (var partition in await RowByRowPartitionsAsync(connection, ct))
        {
            successful += await DeleteDeliveriesAsync(db, partition, DeliveryStatus.Success, successfulCutoff, settings.BatchSize, progress, ct);
            failed += await DeleteDeliveriesAsync(db, partition, DeliveryStatus.Failed, failedCutoff, settings.BatchSize, progress, ct);
        }
        var eventsCutoff = now - (settings.SuccessfulFor > settings.FailedFor ? settings.SuccessfulFor : settings.FailedFor);
        var (eventWeeks, keyWeeks, eventWeekKeys) = await DropExpiredEventWeeksAsync(connection, eventsCutoff, settings.BatchSize, progress, ct);
        keyWeeks += await DropKeyPartitionsWithoutEventsAsync(connection, eventsCutoff, ct);
        var events = 0;
        foreach (var partition in await RowByRowEventPartitionsAsync(connection, ct))
            events += await DeleteOrphanEventsAsync(db, partition, eventsCutoff, settings.BatchSize, progress, ct);
        var keys = await DeleteKeysOfDroppedEventsAsync(connection, eventsCutoff, settings.BatchSize, progress, ct);
        var result = new RetentionResult(true, successful, failed, progress.Attempts, events, progress.Batches)
        {
            Weeks = weeks.Count, WeekRows = weeks.Sum(w => w.Rows), KeptDeliveries = weeks.Sum(w => w.Kept),
            EventWeeks = eventWeeks.Count, EventWeekRows = eventWeeks.Sum(w => w.Rows), KeptEvents = eventWeeks.Sum(w => w.Kept),
            KeyWeeks = keyWeeks, EventWeekKeys = eventWeekKeys, KeysOfDroppedEvents = keys,
        };
        LogDone(now, result.SuccessfulDeliveries, result.FailedDeliveries, result.Attempts, result.Events, result.Batches, result.Weeks,
            result.WeekRows, result.EventWeeks, result.EventWeekRows, result.KeyWeeks, result.EventWeekKeys, result.KeysOfDroppedEvents);
        return result;
    }

    /// <summary>Drops every pair of weekly partitions whose newest delivery ended, at the latest, before the successful
    /// cut-off, oldest first, keeping the rows that must stay.</summary>
    private async Task<List<DroppedWeek>> DropExpiredWeeksAsync(NpgsqlConnection connection, DateTimeOffset successfulCutoff,
        DateTimeOffset failedCutoff, CancellationToken ct)
    {
        var chain = RetryPolicy.LongestChain(delivery.Value);
        var attempts = await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Attempts, ct);
        var dropped = new List<DroppedWeek>();
        foreach (var week in (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Deliveries, ct))
                 .Where(p => p.To is { } to && to + chain <= successfulCutoff).OrderBy(p => p.To))
        {
            if (attempts.SingleOrDefault(a => a.From == week.From && a.To == week.To) is not { } twin)
            {
                // Left to the row-by-row path (RowByRowPartitionsAsync).
                LogNoTwin(week.Name);
                continue;
            }
            if (await DropWeekAsync(connection, week, twin, successfulCutoff, failedCutoff, ct) is { } done) dropped.Add(done);
        }
        return dropped;
    }

    private async Task<DroppedWeek?> DropWeekAsync(NpgsqlConnection connection, DeliveryPartitions.Partition week,
        DeliveryPartitions.Partition twin, DateTimeOffset successfulCutoff, DateTimeOffset failedCutoff, CancellationToken ct)
    {
        // An estimate (the planner's, kept by autovacuum): counting would read the very rows dropping spares us reading.
        var rows = await UpkeepLock.ScalarAsync<long>(connection,
            $"SELECT coalesce(sum(greatest(reltuples, 0)), 0)::bigint FROM pg_class WHERE relname IN ('{week.Name}', '{twin.Name}')", ct);
        var done = await DropInTransactionAsync(connection, week.Name, async transaction =>
        {
            // The parents are locked first, in the order every writer takes them (deliveries, then attempts), for
            // as long as the copy of the kept rows takes: they are found through the partition's indexes.
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new($"SET LOCAL lock_timeout = '{LockTimeout}'"),
                    new($"LOCK TABLE {DeliveryPartitions.Deliveries}, {DeliveryPartitions.Attempts} IN ACCESS EXCLUSIVE MODE"),
                    new($"ALTER TABLE {DeliveryPartitions.Deliveries} DETACH PARTITION \"{week.Name}\""),
                    new($"ALTER TABLE {DeliveryPartitions.Attempts} DETACH PARTITION \"{twin.Name}\""),
                    new($"""
                        CREATE TEMP TABLE retention_kept ON COMMIT DROP AS
                        SELECT id FROM "{week.Name}" WHERE status IN ('pending', 'retrying')
                        UNION ALL SELECT id FROM "{week.Name}" WHERE status IN ('success', 'failed') AND completed_at IS NULL
                        UNION ALL SELECT id FROM "{week.Name}" WHERE status = 'success' AND completed_at >= $1
                        UNION ALL SELECT id FROM "{week.Name}" WHERE status = 'failed' AND completed_at >= $2
                        """) { Parameters = { new() { Value = successfulCutoff }, new() { Value = failedCutoff } } },
                    // No week covers these ids any more: they land in the DEFAULT partition.
                    new($"INSERT INTO {DeliveryPartitions.Deliveries} SELECT d.* FROM \"{week.Name}\" d JOIN retention_kept k ON k.id = d.id"),
                    new($"INSERT INTO {DeliveryPartitions.Attempts} SELECT a.* FROM \"{twin.Name}\" a JOIN retention_kept k ON k.id = a.delivery_id"),
                    new($"DROP TABLE \"{week.Name}\", \"{twin.Name}\""),
                },
            };
            await using (var reader = await batch.ExecuteReaderAsync(ct))
                while (await reader.NextResultAsync(ct)) { }
            return new DroppedWeek(rows, batch.BatchCommands[5].RecordsAffected, batch.BatchCommands[6].RecordsAffected);
        }, ct);
        if (done is not null) LogDroppedWeek(week.Name, twin.Name, rows, done.Kept, done.KeptAttempts);
        return done;
    }

    /// <summary>
    /// Runs one partition drop in a transaction of its own and commits it. Every drop takes its parents'
    /// ACCESS EXCLUSIVE lock, waiting at most <see cref="LockTimeout"/> so that writers queued behind it are not held
    /// long: when the lock is not granted (or a deadlock is found) the drop is rolled back and tried again a second
    /// later, then two, up to <see cref="LockTries"/> times; null when it never ran.
    /// </summary>
    private async Task<DroppedWeek?> DropInTransactionAsync(NpgsqlConnection connection, string partition,
        Func<NpgsqlTransaction, Task<DroppedWeek>> drop, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            try
            {
                var done = await drop(transaction);
                await transaction.CommitAsync(ct);
                return done;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                if (attempt == LockTries)
                {
                    LogLockBusy(partition, attempt);
                    return null;
                }
                await Task.Delay(TimeSpan.FromSeconds(attempt), ct);
            }
        }
    }

    /// <summary>The partitions retention deletes from row by row: every deliveries partition no week drop will remove
    /// (the DEFAULT one, the pre-partitioning table), with the attempts partition of the same bounds, if any.</summary>
    private static async Task<List<string>> RowByRowPartitionsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var attempts = await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Attempts, ct);
        return [.. (await DeliveryPartitions.ListAsync(connection, DeliveryPartitions.Deliveries, ct))
            .Where(p => p.From is null || !attempts.Any(a => a.From == p.From && a.To == p.To))
            .Select(p => p.Name)];
    }

    private async Task<int> DeleteDeliveriesAsync(WebhooksDbContext db, string partition, DeliveryStatus status, DateTimeOffset cutoff,
        int batchSize, Progress progress, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            // The attempts go with their delivery in the same statement (no foreign key cascades among the partitioned
            // tables); the parent finds them in the one partition of their delivery_id. The (status, completed_at)
            // index finds the oldest first.
            var sql = $"""
                WITH batch AS (
                    SELECT id FROM "{partition}"
                    WHERE status = @status AND completed_at < @cutoff
                    ORDER BY completed_at
                    LIMIT @batch_size
                    FOR UPDATE SKIP LOCKED),
                gone AS (DELETE FROM "{partition}" d USING batch b WHERE d.id = b.id RETURNING d.id),
                attempts AS (DELETE FROM {DeliveryPartitions.Attempts} a USING gone g WHERE a.delivery_id = g.id RETURNING 1)
                SELECT (SELECT count(*)::int FROM gone) AS deliveries, (SELECT count(*)::int FROM attempts) AS attempts
                """;
            var batch = (await db.Database.SqlQueryRaw<DeletedBatch>(sql, new NpgsqlParameter("status", status), new NpgsqlParameter("cutoff", cutoff),
                new NpgsqlParameter("batch_size", batchSize))
                .ToListAsync(ct))[0];
            total += batch.Deliveries;
            progress.Add(batch.Deliveries, batch.Attempts, status == DeliveryStatus.Success ? "successful deliveries" : "failed deliveries", this);
            if (batch.Deliveries < batchSize) return total;
        }
    }

    private sealed class Progress
    {
        private int _rows;
        public int Batches { get; private set; }
        public int Attempts { get; private set; }

        public void Add(int rows, int attempts, string what, RetentionCleaner cleaner)
        {
            if (rows == 0) return;
            Batches++;
            _rows += rows;
            Attempts += attempts;
            cleaner.LogBatch(rows, what);
            if (Batches % ProgressEveryBatches == 0) cleaner.LogProgress(Batches, _rows + Attempts);
        }
    }

    private sealed record DeletedBatch(int Deliveries, int Attempts);

    /// <summary>A week dropped: its rows (estimated) and the rows kept, copied back (deliveries with their attempts, or
    /// events).</summary>
    private sealed record DroppedWeek(long Rows, int Kept, int KeptAttempts = 0);

    [LoggerMessage(LogLevel.Information, "Retention skipped: another Dispatcher holds the retention lock")]
    private partial void LogSkipped();

    [LoggerMessage(LogLevel.Debug, "Retention deleted {Rows} {What}")]
    private partial void LogBatch(int rows, string what);

    [LoggerMessage(LogLevel.Information, "Retention in progress: {Batches} batches, {Rows} rows deleted so far")]
    private partial void LogProgress(int batches, int rows);

    [LoggerMessage(LogLevel.Information, "Retention for {Occurrence:O} deleted {Successful} successful and {Failed} failed deliveries, " +
        "{Attempts} attempts and {Events} events in {Batches} batches, dropped {Weeks} weeks of deliveries and attempts (~{WeekRows} rows) " +
        "and {EventWeeks} weeks of events (~{EventWeekRows} rows) and {KeyWeeks} of idempotency keys, deleted {EventWeekKeys} idempotency " +
        "keys of weeks of events whose keys had no partition of their own, and {Keys} idempotency keys left of events dropped before")]
    private partial void LogDone(DateTimeOffset occurrence, int successful, int failed, int attempts, int events, int batches, int weeks, long weekRows,
        int eventWeeks, long eventWeekRows, int keyWeeks, int eventWeekKeys, int keys);

    [LoggerMessage(LogLevel.Information, "Retention dropped partitions {Deliveries} and {Attempts} (~{Rows} rows), keeping {Kept} deliveries " +
        "and {KeptAttempts} attempts not yet past retention")]
    private partial void LogDroppedWeek(string deliveries, string attempts, long rows, int kept, int keptAttempts);

    [LoggerMessage(LogLevel.Warning, "Partition {Partition} has no delivery_attempts partition of the same bounds: its rows are deleted row by row")]
    private partial void LogNoTwin(string partition);

    [LoggerMessage(LogLevel.Warning, "Partition {Partition} is past retention but its table stayed locked by others through {Tries} tries; " +
        "the next run drops it")]
    private partial void LogLockBusy(string partition, int tries);
}
