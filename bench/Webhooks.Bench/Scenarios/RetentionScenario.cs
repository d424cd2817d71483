using System.Diagnostics;
using System.Net;
using Npgsql;
using Webhooks.Bench.Hosting;
using Webhooks.Bench.Load;
using Webhooks.Bench.Reporting;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Retention at scale (issue 16): how fast the real cleanup removes expired rows while ingest runs, and what it does to
/// ingest. Seeds <see cref="BenchOptions.RetentionDeliveries"/> successful deliveries 130 days old (each with its event,
/// the event's idempotency key and one attempt, cloned in SQL from one real delivery, so every column is as the app
/// writes it) into the weekly partitions of their time, as the app would have written them then; publishes at a steady
/// rate with nothing to clean (the baseline), then starts one more Dispatcher whose retention schedule fires every
/// minute and publishes at the same rate while it cleans. Deliveries and attempts go with their week's partitions, then
/// the events with their idempotency keys, each with their week's partition: reports when each was gone, rows removed
/// per second of cleanup, and the publish round trip in both phases.
/// </summary>
internal sealed class RetentionScenario : IScenario
{
    private const int SeedChunk = 50_000;
    private const int PublishRate = 200;
    private static readonly TimeSpan Age = TimeSpan.FromDays(130); // past both default retentions (90 days successful, 120 events)
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public string Name => "retention";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        await context.QuietAsync(Name, ct);
        var (tenant, inbox) = await context.TenantAsync("bench-retention", "/retention", 1, ct);
        using var client = context.ApiClient(tenant, 64);
        async Task<Outcome> PublishAsync(int _, CancellationToken c)
        {
            using var response = await client.PostAsync("/v1/events", Http.Json(Payloads.Event), c);
            return response.StatusCode == HttpStatusCode.Accepted ? new Outcome(1) : Outcome.Failed(await Http.DescribeAsync(response, c));
        }

        var template = await TemplateAsync(context, PublishAsync, tenant.Id, ct);
        var seeded = await SeedAsync(context.Database, template, o.RetentionDeliveries, ct);

        ProgressLine.Say(Name, $"baseline: publishing at {PublishRate}/s with nothing to clean");
        var baseline = await Paced.RunAsync($"{Name} baseline", PublishRate, o.RetentionPhase, 64, PublishAsync, ct);

        ProgressLine.Say(Name, "starting a Dispatcher whose retention runs every minute");
        await using var cleaner = await ExtraDispatcher.StartAsync(2, ct,
            new Dictionary<string, string> { ["Webhooks__Retention__Schedule"] = "* * * * *" });
        var started = Stopwatch.GetTimestamp();
        while ((await ExpiredAsync(context.Database, ct)).Rows >= seeded)
        {
            if (Stopwatch.GetElapsedTime(started) > StartTimeout) throw new TimeoutException("Retention did not start within 90 s.");
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
        var cleaning = Stopwatch.GetTimestamp();
        ProgressLine.Say(Name, $"retention started; publishing at {PublishRate}/s while it deletes");
        using var stopPublishing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var during = Paced.RunAsync($"{Name} during cleanup", PublishRate, o.RetentionPhase, 64, PublishAsync, stopPublishing.Token);
        Expired left;
        TimeSpan? deliveriesGone = null, keysGone = null;
        while ((left = await ExpiredAsync(context.Database, ct)).Rows > 0 && Stopwatch.GetElapsedTime(cleaning) < o.DrainTimeout)
        {
            if (left.Deliveries == 0) deliveriesGone ??= Stopwatch.GetElapsedTime(cleaning);
            if (left.Keys == 0) keysGone ??= Stopwatch.GetElapsedTime(cleaning);
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
        var cleaned = Stopwatch.GetElapsedTime(cleaning);
        deliveriesGone ??= cleaned;
        keysGone ??= cleaned;
        var duringResult = await during;

        var rows = seeded - left.Rows;
        var rowsPerSecond = rows / cleaned.TotalSeconds;
        var (weekRows, events) = (2L * o.RetentionDeliveries, (long)o.RetentionDeliveries);
        // The events' weeks go after the deliveries' (whose rows they are checked against), each with its week of keys in
        // one transaction: the keys take the time between the deliveries' drop and the last key (within a poll or two,
        // 200 ms, so the rate below is a floor once the drop is that quick), the events the rest (none, as they go together).
        var keysSeconds = keysGone.Value - deliveriesGone.Value;
        var keysPerSecond = events / Math.Max(keysSeconds.TotalSeconds, 0.2);
        var eventsSeconds = cleaned - keysGone.Value;
        context.Report.Details[Name] = new
        {
            seededRows = seeded, deletedRows = rows, seconds = cleaned.TotalSeconds, rowsPerSecond,
            deliveriesAndAttempts = weekRows, deliveriesAndAttemptsGoneAfterSeconds = deliveriesGone.Value.TotalSeconds,
            idempotencyKeys = events, keysGoneAfterSeconds = keysGone.Value.TotalSeconds, keysSecondsAfterDeliveries = keysSeconds.TotalSeconds,
            keysPerSecond, events, eventsGoneSecondsAfterKeys = eventsSeconds.TotalSeconds,
            publishRate = PublishRate, baseline = baseline.Summary, duringCleanup = duringResult.Summary,
        };
        var note = left.Rows > 0 ? $"; {left.Rows:N0} rows still there after {o.DrainTimeout.TotalSeconds:0} s" : "";
        context.Report.Add(new Figure(Name, $"Retention: expired rows removed while ingest runs ({o.RetentionDeliveries:N0} deliveries + their attempts, events and keys)",
            $"{rowsPerSecond:N0} rows/s ({rows:N0} rows in {cleaned.TotalSeconds:0.0} s; the {weekRows:N0} deliveries and attempts, "
            + $"dropped with their weeks' partitions, were gone after {deliveriesGone.Value.TotalSeconds:0.0} s, the {events:N0} idempotency keys, "
            + $"dropped with their events' week, {keysSeconds.TotalSeconds:0.0} s later (≥ ~{keysPerSecond:N0} keys/s, the poll's granularity), and the {events:N0} events, "
            + $"dropped with their week's partition, {eventsSeconds.TotalSeconds:0.0} s after the keys){note}",
            Figure.None, Figure.None, null));
        context.Report.Add(new Figure(Name, $"Publish round trip at {PublishRate}/s: alone / while retention deletes",
            $"p50 {baseline.Latency.P50:0.0} / p99 {baseline.Latency.P99:0.0} ms; p50 {duringResult.Latency.P50:0.0} / p99 {duringResult.Latency.P99:0.0} ms"
            + duringResult.ErrorSuffix, Figure.None, Figure.None, null));
    }

    private sealed record Template(Guid EventId, Guid DeliveryId, Guid AttemptId);

    /// <summary>One real event delivered once: the rows the seed clones.</summary>
    private static async Task<Template> TemplateAsync(BenchContext context, Func<int, CancellationToken, Task<Outcome>> publish,
        Guid tenantId, CancellationToken ct)
    {
        if ((await publish(0, ct)).Error is { } error) throw new InvalidOperationException($"Publishing the template failed: {error}");
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < context.FirstDeliveryTimeout)
        {
            await using var command = context.Database.CreateCommand("""
                SELECT d.event_id, d.id, a.id FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id
                WHERE d.tenant_id = $1 AND d.status = 'success' LIMIT 1
                """);
            command.Parameters.AddWithValue(tenantId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) return new Template(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2));
            await reader.DisposeAsync();
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
        throw new TimeoutException("The template delivery did not succeed in time.");
    }

    /// <summary>Clones the template's event, delivery and attempt <paramref name="count"/> times, 130 days old. Every
    /// column is copied, except ids (UUIDv7s of the age, one millisecond apart, with the rest derived from the row number,
    /// so the three rows of a clone reference each other) and timestamps (all set to the age): so the seed follows the
    /// schema as it is, whatever columns it has. The weeks the ids fall in get their partitions first, as the
    /// Dispatcher's PartitionMaintainer would have made them then (its names and bounds), so the rows land in them and
    /// not in the DEFAULT partition.</summary>
    private static async Task<long> SeedAsync(NpgsqlDataSource db, Template template, int count, CancellationToken ct)
    {
        var seeding = Stopwatch.GetTimestamp();
        var start = TimeProvider.System.GetUtcNow() - Age;
        await using (var partitions = db.CreateCommand($"""
            DO $seed$
            DECLARE week timestamp; t text;
            BEGIN
                FOR week IN SELECT generate_series(date_trunc('week', $ts${start.UtcDateTime:O}$ts$::timestamp),
                                                   $ts${start.UtcDateTime.AddMilliseconds(count):O}$ts$::timestamp, interval '7 days')
                LOOP
                    FOREACH t IN ARRAY ARRAY['deliveries', 'delivery_attempts', 'events', 'idempotency_keys'] LOOP
                        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                            t || '_p' || to_char(week, 'YYYYMMDD'), t,
                            lpad(to_hex((extract(epoch FROM week) * 1000)::bigint), 12, '0') || repeat('0', 20),
                            lpad(to_hex((extract(epoch FROM week + interval '7 days') * 1000)::bigint), 12, '0') || repeat('0', 20));
                    END LOOP;
                    -- A week of keys holds the unique index the maintainer gives it.
                    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (tenant_id, key)',
                        'ux_idempotency_keys_p' || to_char(week, 'YYYYMMDD') || '_tenant_id_key', 'idempotency_keys_p' || to_char(week, 'YYYYMMDD'));
                END LOOP;
            END
            $seed$
            """))
            await partitions.ExecuteNonQueryAsync(ct);
        var startMs = start.ToUnixTimeMilliseconds();
        for (var from = 1; from <= count; from += SeedChunk)
        {
            var to = Math.Min(count, from + SeedChunk - 1);
            await using var batch = db.CreateBatch();
            foreach (var (table, id) in new[] { ("events", template.EventId), ("deliveries", template.DeliveryId), ("delivery_attempts", template.AttemptId) })
            {
                var columns = await ColumnsAsync(db, table, ct);
                var values = columns.Select(c => c.Name switch
                {
                    "id" => Uuid7(table, startMs),
                    "event_id" => Uuid7("events", startMs),
                    "delivery_id" => Uuid7("deliveries", startMs),
                    "idempotency_key" => $"'retention-' || g",
                    _ when c.Type == "timestamp with time zone" => $"t.{c.Name} - interval '{Age.TotalDays} days'",
                    _ => $"t.{c.Name}",
                });
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                    INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))})
                    SELECT {string.Join(", ", values)} FROM {table} t, generate_series({from}, {to}) g WHERE t.id = '{id}'
                    """));
            }
            // Every event keyed (more than real traffic, where keys are optional): the keys' deletion is measured too.
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                INSERT INTO idempotency_keys (tenant_id, key, event_id)
                SELECT t.tenant_id, 'retention-' || g, {Uuid7("events", startMs)} FROM events t, generate_series({from}, {to}) g
                WHERE t.id = '{template.EventId}'
                """));
            await batch.ExecuteNonQueryAsync(ct);
            ProgressLine.Say("retention", $"seeded {to:N0} of {count:N0} expired deliveries ({Stopwatch.GetElapsedTime(seeding).TotalSeconds:0} s)");
        }
        await using var analyze = db.CreateCommand("ANALYZE events; ANALYZE deliveries; ANALYZE delivery_attempts; ANALYZE idempotency_keys");
        await analyze.ExecuteNonQueryAsync(ct);
        return (await ExpiredAsync(db, ct)).Rows;
    }

    /// <summary>Row g's id in <paramref name="table"/>: the UUIDv7 layout, its millisecond <paramref name="startMs"/> + g.</summary>
    private static string Uuid7(string table, long startMs) =>
        $"(lpad(to_hex({startMs} + g), 12, '0') || '7' || substr(md5('{table}' || g), 1, 3) || '8' || substr(md5('{table}' || g), 4, 15))::uuid";

    private static async Task<List<(string Name, string Type)>> ColumnsAsync(NpgsqlDataSource db, string table, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
            ORDER BY ordinal_position
            """);
        command.Parameters.AddWithValue(table);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var columns = new List<(string, string)>();
        while (await reader.ReadAsync(ct)) columns.Add((reader.GetString(0), reader.GetString(1)));
        return columns;
    }

    /// <summary>The seeded rows still there: deliveries (each with its attempt, deleted with it), events and their keys.
    /// Nothing else is that old, or has such a key.</summary>
    private sealed record Expired(long Deliveries, long Events, long Keys)
    {
        public long Rows => Deliveries * 2 + Events + Keys;
    }

    /// <summary>One statement a poll: the cleanup it watches is what is measured, so the poll stays small. It reads the
    /// keys before the events, the order in which the app takes the two (publishes and the drop of a week alike): read
    /// the other way round, it can hold the events while the drop, holding the keys, waits for them (a deadlock).</summary>
    private static async Task<Expired> ExpiredAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT (SELECT count(*) FROM idempotency_keys WHERE key LIKE 'retention-%'),
                   (SELECT count(*) FROM deliveries WHERE completed_at < now() - interval '125 days'),
                   (SELECT count(*) FROM events WHERE created_at < now() - interval '125 days')
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Expired(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(0));
    }
}
