using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Webhooks.Bench.Load;
using Webhooks.Bench.Reporting;
using Webhooks.Core.Queue;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// The schedule at scale, on two scratch Redis databases of the app's Redis (so the services never see them): the real
/// <see cref="DeliveryQueue"/> keys and member encoding (16-byte ids scored by unix ms), N deliveries scheduled an hour
/// ahead in one, Redis memory per scheduled delivery, and the rate at which <see cref="DeliveryQueue.ClaimDueAsync"/>
/// (100 per call, as the Dispatcher claims) drains due items in the empty one and beside the N in the other. Rounds
/// alternate between the two so that the box's noise falls on both alike; each rate is the best of its rounds.
/// </summary>
internal sealed class ScaleScenario : IScenario
{
    private const int EmptyDatabase = 14;
    private const int LoadedDatabase = 15;
    private const int ClaimBatch = 100;
    private const int AddChunk = 1000;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    public string Name => "scale";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        // DeliveryQueue works on a connection's default database: one connection per scratch database.
        await using var emptyRedis = await ConnectionMultiplexer.ConnectAsync($"{context.App.RedisConnectionString},defaultDatabase={EmptyDatabase}");
        await using var loadedRedis = await ConnectionMultiplexer.ConnectAsync(
            $"{context.App.RedisConnectionString},defaultDatabase={LoadedDatabase},allowAdmin=true");
        var emptyDb = emptyRedis.GetDatabase();
        var loadedDb = loadedRedis.GetDatabase();
        var server = loadedRedis.GetServer(loadedRedis.GetEndPoints()[0]);
        await ClearAsync(emptyDb);
        await ClearAsync(loadedDb);

        using var cpu = context.MeasureCpu(Name);
        var memoryBefore = await UsedMemoryAsync(server);
        await AddAsync(loadedDb, o.ScaleScheduled, TimeProvider.System.GetUtcNow().AddHours(1), $"scheduling {o.ScaleScheduled:N0} an hour ahead", ct);
        var memoryAfter = await UsedMemoryAsync(server);
        var keyBytes = (long)await loadedDb.ExecuteAsync("MEMORY", "USAGE", DeliveryQueue.DueKey, "SAMPLES", "0");
        var perDelivery = (double)(memoryAfter - memoryBefore) / o.ScaleScheduled;

        double empty = 0, loaded = 0;
        for (var round = 1; round <= o.ScaleRounds; round++)
        {
            // Which case goes first alternates, so neither always follows the other's burst of writes.
            for (var turn = 0; turn < 2; turn++)
            {
                if ((round + turn) % 2 == 1)
                    empty = Math.Max(empty, await ClaimRateAsync(emptyRedis, o.ScaleDue, $"round {round}/{o.ScaleRounds}, schedule empty", ct));
                else
                    loaded = Math.Max(loaded, await ClaimRateAsync(loadedRedis, o.ScaleDue, $"round {round}/{o.ScaleRounds}, {o.ScaleScheduled:N0} scheduled", ct));
            }
        }
        await ClearAsync(emptyDb);
        await ClearAsync(loadedDb);

        var change = (loaded - empty) / empty;
        context.Report.Details[Name] = new
        {
            scheduled = o.ScaleScheduled, usedMemoryBefore = memoryBefore, usedMemoryAfter = memoryAfter, bytesPerScheduled = perDelivery,
            dueKeyBytes = keyBytes, claimedPerRound = o.ScaleDue, claimBatch = ClaimBatch, rounds = o.ScaleRounds,
            claimPerSecondEmpty = empty, claimPerSecondLoaded = loaded, change,
        };
        var size = $"{o.ScaleScheduled:N0} scheduled";
        context.Report.Add(new Figure(Name, $"Redis memory per scheduled delivery ({size})",
            $"{perDelivery:N0} bytes (used_memory Δ; the key alone: {(double)keyBytes / o.ScaleScheduled:N0})", "≤ 100 bytes", Figure.None, perDelivery <= 100));
        context.Report.Add(new Figure(Name, $"Claim rate, schedule empty (`ClaimDueAsync`, {ClaimBatch}/call)",
            $"{empty:N0} deliveries/s", Figure.None, "Lua claim of 100: ~184k items/s¹", null));
        context.Report.Add(new Figure(Name, $"Claim rate with {size}",
            $"{loaded:N0} deliveries/s ({change:+0%;-0%;0%} vs empty)", "within 20% of empty", "Lua claim of 100: ~184k items/s¹", change >= -0.20));
    }

    /// <summary>Adds <paramref name="due"/> deliveries due now and claims them all, as one Dispatcher would.</summary>
    private static async Task<double> ClaimRateAsync(IConnectionMultiplexer redis, int due, string label, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        await AddAsync(db, due, TimeProvider.System.GetUtcNow().AddSeconds(-1), $"{label}: adding {due:N0} due", ct);
        var queue = new DeliveryQueue(redis);
        var now = TimeProvider.System.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        long claimed = 0;
        await using (ProgressLine.Start("scale", () => $"{label}: {Interlocked.Read(ref claimed),9:N0} claimed"))
        {
            while (true)
            {
                var ids = await queue.ClaimDueAsync(now, ClaimBatch, Lease);
                if (ids.Count == 0) break;
                Interlocked.Add(ref claimed, ids.Count);
            }
        }
        var rate = claimed / Stopwatch.GetElapsedTime(started).TotalSeconds;
        ProgressLine.Say("scale", $"{label}: claimed at {rate:N0} deliveries/s");
        await db.KeyDeleteAsync(DeliveryQueue.InFlightKey);
        return rate;
    }

    /// <summary>ZADDs <paramref name="count"/> random delivery ids in pipelined chunks, as many publishes would.</summary>
    private static async Task AddAsync(IDatabase db, int count, DateTimeOffset dueAt, string label, CancellationToken ct)
    {
        long added = 0;
        var score = dueAt.ToUnixTimeMilliseconds();
        await using (ProgressLine.Start("scale", () => $"{label}: {Interlocked.Read(ref added),10:N0}"))
        {
            var inFlight = new List<Task>();
            for (var start = 0; start < count; start += AddChunk)
            {
                ct.ThrowIfCancellationRequested();
                var entries = new SortedSetEntry[Math.Min(AddChunk, count - start)];
                for (var i = 0; i < entries.Length; i++) entries[i] = new SortedSetEntry(Guid.CreateVersion7().ToByteArray(), score);
                inFlight.Add(db.SortedSetAddAsync(DeliveryQueue.DueKey, entries).ContinueWith(_ => Interlocked.Add(ref added, entries.Length), ct));
                if (inFlight.Count >= 16)
                {
                    await Task.WhenAll(inFlight);
                    inFlight.Clear();
                }
            }
            await Task.WhenAll(inFlight);
        }
    }

    /// <summary>Redis' allocated bytes, read once its dictionaries have settled: a dict that just grew is rehashed
    /// incrementally and holds its old and new tables until then.</summary>
    private static async Task<long> UsedMemoryAsync(IServer server)
    {
        await Task.Delay(TimeSpan.FromSeconds(2));
        var info = await server.InfoAsync("memory");
        var value = info.SelectMany(group => group).First(pair => pair.Key == "used_memory").Value;
        return long.Parse(value, CultureInfo.InvariantCulture);
    }

    private static Task ClearAsync(IDatabase db) => db.KeyDeleteAsync([DeliveryQueue.DueKey, DeliveryQueue.InFlightKey]);
}
