using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Options;

namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>
/// Deletes finished deliveries past <c>Webhooks:Retention</c> (successful after <c>SuccessfulFor</c>, failed after
/// <c>FailedFor</c>) with their attempts, then events left with no delivery once older than the longer of the two.
/// </summary>
/// <remarks>
/// Every statement deletes at most <c>BatchSize</c> rows and commits on its own, so no lock is held for long and live
/// traffic interleaves; rows locked by someone else (a delivery being retried, say) are skipped, not waited for.
/// Cut-offs are computed from the schedule occurrence, not from the clock, so running one occurrence twice deletes
/// nothing the second time. A Postgres session advisory lock keeps several Dispatchers from scanning at once: the
/// one that cannot take it skips. Pending and retrying deliveries are never deleted, whatever their age.
/// </remarks>
internal sealed partial class RetentionCleaner(IServiceScopeFactory scopes, IOptions<RetentionOptions> options, ILogger<RetentionCleaner> logger)
{
    /// <summary>The advisory lock every Dispatcher asks for before cleaning ("WHRETAIN" in ASCII).</summary>
    internal const long LockKey = 0x5748_5245_5441_494E;
    private const int ProgressEveryBatches = 10;

    public async Task<RetentionResult> RunOnceAsync(DateTimeOffset now, CancellationToken ct)
    {
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        // One connection for the whole run: the advisory lock belongs to the session that took it.
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        try
        {
            if (!await ScalarAsync<bool>(connection, $"SELECT pg_try_advisory_lock({LockKey})", ct))
            {
                LogSkipped();
                return RetentionResult.Skipped;
            }
            try
            {
                return await CleanAsync(db, now, settings, ct);
            }
            finally
            {
                await ScalarAsync<bool>(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<RetentionResult> CleanAsync(WebhooksDbContext db, DateTimeOffset now, RetentionOptions settings, CancellationToken ct)
    {
        var progress = new Progress();
        var successful = await DeleteDeliveriesAsync(db, DeliveryStatus.Success, now - settings.SuccessfulFor, settings.BatchSize, progress, ct);
        var failed = await DeleteDeliveriesAsync(db, DeliveryStatus.Failed, now - settings.FailedFor, settings.BatchSize, progress, ct);
        var eventsCutoff = now - (settings.SuccessfulFor > settings.FailedFor ? settings.SuccessfulFor : settings.FailedFor);
        var events = await DeleteOrphanEventsAsync(db, eventsCutoff, settings.BatchSize, progress, ct);
        var result = new RetentionResult(true, successful, failed, progress.Attempts, events, progress.Batches);
        LogDone(now, result.SuccessfulDeliveries, result.FailedDeliveries, result.Attempts, result.Events, result.Batches);
        return result;
    }

    private async Task<int> DeleteDeliveriesAsync(WebhooksDbContext db, DeliveryStatus status, DateTimeOffset cutoff, int batchSize,
        Progress progress, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            // The attempts go with their delivery through the foreign key's ON DELETE CASCADE, in the same statement;
            // they are counted from the same snapshot. The (status, completed_at) index finds the oldest first.
            var batch = (await db.Database.SqlQuery<DeletedBatch>($"""
                WITH batch AS (
                    SELECT id FROM deliveries
                    WHERE status = {status} AND completed_at < {cutoff}
                    ORDER BY completed_at
                    LIMIT {batchSize}
                    FOR UPDATE SKIP LOCKED),
                attempts AS (SELECT count(*)::int AS n FROM delivery_attempts a JOIN batch b ON a.delivery_id = b.id),
                gone AS (DELETE FROM deliveries d USING batch b WHERE d.id = b.id RETURNING 1)
                SELECT (SELECT count(*)::int FROM gone) AS deliveries, (SELECT n FROM attempts) AS attempts
                """).ToListAsync(ct))[0];
            total += batch.Deliveries;
            progress.Add(batch.Deliveries, batch.Attempts, status == DeliveryStatus.Success ? "successful deliveries" : "failed deliveries", this);
            if (batch.Deliveries < batchSize) return total;
        }
    }

    /// <summary>Events keep the payloads, the bulk of the data: once none of their deliveries is left, they go too.</summary>
    private async Task<int> DeleteOrphanEventsAsync(WebhooksDbContext db, DateTimeOffset cutoff, int batchSize, Progress progress,
        CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            // REVIEW: no index on events.created_at alone, so this filters a scan; old rows sit first in the heap and the
            // LIMIT stops it early. Add the index if a huge events table makes the weekly run slow.
            var deleted = await db.Database.ExecuteSqlAsync($"""
                WITH batch AS (
                    SELECT e.id FROM events e
                    WHERE e.created_at < {cutoff} AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
                    LIMIT {batchSize}
                    FOR UPDATE SKIP LOCKED)
                DELETE FROM events e USING batch b WHERE e.id = b.id
                """, ct);
            total += deleted;
            progress.Add(deleted, 0, "events", this);
            if (deleted < batchSize) return total;
        }
    }

    private static async Task<T> ScalarAsync<T>(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync(ct))!;
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

    [LoggerMessage(LogLevel.Information, "Retention skipped: another Dispatcher holds the retention lock")]
    private partial void LogSkipped();

    [LoggerMessage(LogLevel.Debug, "Retention deleted {Rows} {What}")]
    private partial void LogBatch(int rows, string what);

    [LoggerMessage(LogLevel.Information, "Retention in progress: {Batches} batches, {Rows} rows deleted so far")]
    private partial void LogProgress(int batches, int rows);

    [LoggerMessage(LogLevel.Information, "Retention for {Occurrence:O} deleted {Successful} successful and {Failed} failed deliveries, " +
        "{Attempts} attempts and {Events} events in {Batches} batches")]
    private partial void LogDone(DateTimeOffset occurrence, int successful, int failed, int attempts, int events, int batches);
}
