using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Core.Data;
using Webhooks.Core.Options;

namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>
/// Creates the weekly partitions of deliveries, attempts, events and idempotency keys (<see cref="DeliveryPartitions"/>)
/// ahead of time, at start and every hour, up to <c>Webhooks:Retention:PartitionsAhead</c> weeks after the current one.
/// A partition of keys gets its unique index on (tenant_id, key) in the same transaction, so no row enters it unchecked.
/// </summary>
/// <remarks>
/// Why partitions at all: retention used to delete expired rows one by one, ~8,500 rows/s on the 2-core box while
/// ingest ran, so a week of deliveries at the dispatch rate (1.2–3 billion deliveries, as many attempts) would take days
/// to delete every week, and events at ~20,500 rows/s, a day of deleting for a week at 2,000–5,000 events/s. A week
/// that is wholly past retention is now dropped as one table (<see cref="RetentionCleaner"/>).
/// A week with no partition yet is no failure: its rows go to the DEFAULT partition (deleted row by row, as before), and
/// that week is then skipped here, since Postgres refuses a partition whose range the DEFAULT already holds rows of.
/// Several Dispatchers may run this at once: a Postgres advisory lock lets one work and the others skip, and each
/// CREATE is IF NOT EXISTS.
/// </remarks>
internal sealed partial class PartitionMaintainer(IServiceScopeFactory scopes, TimeProvider time, IOptions<RetentionOptions> options,
    ILogger<PartitionMaintainer> logger) : BackgroundService
{
    /// <summary>The advisory lock every Dispatcher asks for before creating partitions ("WHPARTIT" in ASCII).</summary>
    internal const long LockKey = 0x5748_5041_5254_4954;
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await EnsureAsync(time.GetUtcNow(), stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The DEFAULT partition takes any row meanwhile; the next hour tries again.
                LogFailed(e);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Creates the partitions missing for the week of <paramref name="now"/> and the next PartitionsAhead weeks.</summary>
    /// <returns>The partitions created, or null when another Dispatcher held the lock.</returns>
    public async Task<List<string>?> EnsureAsync(DateTimeOffset now, CancellationToken ct)
    {
        var (taken, created) = await UpkeepLock.TryRunAsync(scopes, LockKey, async (_, connection) =>
        {
            var created = new List<string>();
            foreach (var table in new[] { DeliveryPartitions.Deliveries, DeliveryPartitions.Attempts, DeliveryPartitions.Events, DeliveryPartitions.Keys })
                created.AddRange(await EnsureTableAsync((NpgsqlConnection)connection, table, WeeklyIds.WeekOf(now), ct));
            return created;
        }, ct);
        return taken ? created : null;
    }

    private async Task<List<string>> EnsureTableAsync(NpgsqlConnection connection, string table, DateTimeOffset firstWeek, CancellationToken ct)
    {
        var existing = await DeliveryPartitions.ListAsync(connection, table, ct);
        var created = new List<string>();
        for (var week = firstWeek; week <= firstWeek + options.Value.PartitionsAhead * DeliveryPartitions.Width; week += DeliveryPartitions.Width)
        {
            var end = week + DeliveryPartitions.Width;
            // A week some partition already covers, even in part (the old table's, which ends on a Monday too), is left alone.
            if (existing.Any(p => !p.IsDefault && (p.From is null || p.From < end) && p.To > week)) continue;
            var name = DeliveryPartitions.NameOf(table, week);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            try
            {
                await ExecuteAsync(connection, $"""
                    CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table}
                    FOR VALUES FROM ('{WeeklyIds.LowestId(week)}') TO ('{WeeklyIds.LowestId(end)}')
                    """, ct);
                // The one unique index that makes a key unique within its week (none on the parent can: see KeyGuard).
                if (table == DeliveryPartitions.Keys)
                    await ExecuteAsync(connection, $"CREATE UNIQUE INDEX IF NOT EXISTS {DeliveryPartitions.KeyIndexOf(name)} ON {name} (tenant_id, key)", ct);
                await transaction.CommitAsync(ct);
                created.Add(name);
                LogCreated(name, week, end);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                // The DEFAULT partition holds rows of this week: they stay there, and are deleted row by row in time.
                LogDefaultHoldsWeek(table, week);
            }
        }
        return created;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(LogLevel.Information, "Created partition {Partition} for {From:O} to {To:O}")]
    private partial void LogCreated(string partition, DateTimeOffset from, DateTimeOffset to);

    [LoggerMessage(LogLevel.Warning, "No partition of {Table} for the week of {Week:O}: the DEFAULT partition already holds rows of it, " +
        "which stay there and are deleted row by row")]
    private partial void LogDefaultHoldsWeek(string table, DateTimeOffset week);

    [LoggerMessage(LogLevel.Error, "Creating partitions failed")]
    private partial void LogFailed(Exception exception);
}
