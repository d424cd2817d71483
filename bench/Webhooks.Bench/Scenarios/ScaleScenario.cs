using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Webhooks.Bench.Load;
using Webhooks.Bench.Reporting;
using Webhooks.Core.Queue;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// The schedule at scale, on a scratch Redis database of the app's Redis (so the services never see it): the real
/// <see cref="DeliveryQueue"/> keys and member encoding (16-byte ids scored by unix ms), N deliveries scheduled an hour
/// ahead, Redis memory per scheduled delivery, and the rate at which <see cref="DeliveryQueue.ClaimDueAsync"/> (100 per
/// call, as the Dispatcher claims) drains due items with the schedule empty and with the N waiting beside them.
/// Claim rates are the best of a few rounds, the usual way to read throughput on a shared, noisy box.
/// </summary>
internal sealed class ScaleScenario : IScenario
{
    private const int ScratchDatabase = 15;
    private const int ClaimBatch = 100;
    private const int AddChunk = 1000;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    public string Name => "scale";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{context.App.RedisConnectionString},defaultDatabase={ScratchDatabase},allowAdmin=true");
        var db = redis.GetDatabase();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var queue = new DeliveryQueue(redis);
        await ClearAsync(db);

        using var cpu = context.MeasureCpu(Name);
        var empty = await BestClaimRateAsync(db, queue, o.ScaleDue, o.ScaleRounds, "empty schedule", ct);

        var memoryBefore = await UsedMemoryAsync(server);
        var now = DateTimeOffset.UtcNow;
        await AddAsync(db, o.ScaleScheduled, now.AddHours(1), $"scheduling {o.ScaleScheduled:N0} an hour ahead", ct);
        var memoryAfter = await UsedMemoryAsync(server);
        var keyBytes = (long)await db.ExecuteAsync("MEMORY", "USAGE", DeliveryQueue.DueKey, "SAMPLES", "0");
        var perDelivery = (double)(memoryAfter - memoryBefore) / o.ScaleScheduled;

        var loaded = await BestClaimRateAsync(db, queue, o.ScaleDue, o.ScaleRounds, $"{o.ScaleScheduled:N0} scheduled", ct);
        await ClearAsync(db);

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
            $"{loaded:N0} deliveries/s ({change:+0%;-0%} vs empty)", "within 20% of empty", "Lua claim of 100: ~184k items/s¹", change >= -0.20));
    }

    private static async Task<double> BestClaimRateAsync(IDatabase db, DeliveryQueue queue, int due, int rounds, string label, CancellationToken ct)
    {
        var best = 0.0;
        for (var round = 1; round <= rounds; round++)
        {
            await AddAsync(db, due, DateTimeOffset.UtcNow.AddSeconds(-1), $"claim round {round}/{rounds}, {label}: adding {due:N0} due", ct);
            var now = DateTimeOffset.UtcNow;
            var started = Stopwatch.GetTimestamp();
            long claimed = 0;
            await using (ProgressLine.Start("scale", () => $"claim round {round}/{rounds}, {label}: {Interlocked.Read(ref claimed),9:N0} claimed"))
            {
                while (true)
                {
                    var ids = await queue.ClaimDueAsync(now, ClaimBatch, Lease);
                    if (ids.Count == 0) break;
                    Interlocked.Add(ref claimed, ids.Count);
                }
            }
            var rate = claimed / Stopwatch.GetElapsedTime(started).TotalSeconds;
            ProgressLine.Say("scale", $"claim round {round}/{rounds}, {label}: {rate:N0} deliveries/s");
            best = Math.Max(best, rate);
            await db.KeyDeleteAsync(DeliveryQueue.InFlightKey);
        }
        return best;
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

    private static async Task<long> UsedMemoryAsync(IServer server)
    {
        var info = await server.InfoAsync("memory");
        var value = info.SelectMany(group => group).First(pair => pair.Key == "used_memory").Value;
        return long.Parse(value, CultureInfo.InvariantCulture);
    }

    private static Task ClearAsync(IDatabase db) => db.KeyDeleteAsync([DeliveryQueue.DueKey, DeliveryQueue.InFlightKey]);
}
