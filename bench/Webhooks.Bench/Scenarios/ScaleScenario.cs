using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Webhooks.Bench.Load;
using Webhooks.Bench.Reporting;
using Webhooks.Core.Queue;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// The schedule at scale, on two scratch Redis databases of the app's Redis (so the services never see them): N
/// deliveries scheduled through <see cref="DeliveryQueue.ScheduleAsync(IReadOnlyCollection{ValueTuple{QueuedDelivery, DateTimeOffset}})"/>
/// in one, due at random over the hour that starts an hour ahead (an hour of traffic's 1 h retries: ~60 later buckets
/// of a few hundred KB, where APPEND's doubling slack is largest), Redis memory per scheduled delivery, and the rate
/// at which <see cref="DeliveryQueue.ClaimDueAsync"/> (100 per call, as the Dispatcher claims) drains due items in the
/// empty one and beside the N in the other. Rounds alternate between the two so that the box's noise falls on both
/// alike; each rate is the best of its rounds. Last, the clock jumps two hours: claims promote and claim all N, each
/// exactly once, and the time per claim call (round trip included) shows what promotion adds. The deliveries belong to
/// <see cref="Webhooks"/> webhooks of <see cref="Tenants"/> tenants, and the caps are out of their reach (nothing is
/// acked here, so any cap would soon hold everything): the scenario measures the schedule, while each claim still does
/// the caps' bookkeeping (a slot per delivery claimed).
/// </summary>
internal sealed class ScaleScenario : IScenario
{
    // Scratch schedules of their own, beside the app's: key prefixes, as a Redis Cluster has no database indexes.
    private static readonly QueueKeys Empty = new("bench-scale-empty");
    private static readonly QueueKeys Loaded = new("bench-scale-loaded");
    private const int ClaimBatch = 100;
    private const int AddChunk = 1000;
    private const int Pipelined = 16;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private const int Webhooks = 10_000, Tenants = 1_000;
    private static readonly InFlightCaps OutOfReach = new(int.MaxValue, int.MaxValue);

    public string Name => "scale";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{context.App.RedisConnectionString},allowAdmin=true");
        var db = redis.GetDatabase();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        await ClearAsync(server, db);

        using var cpu = context.MeasureCpu(Name);
        var memoryBefore = await UsedMemoryAsync(server);
        var start = TimeProvider.System.GetUtcNow();
        await ScheduleAsync(Queue(redis, Loaded), o.ScaleScheduled, start.AddHours(1), TimeSpan.FromHours(1),
            $"scheduling {o.ScaleScheduled:N0} over the hour starting an hour ahead", ct);
        var memoryAfter = await UsedMemoryAsync(server);
        var keyBytes = await KeyBytesAsync(server, db, Loaded);
        var perDelivery = (double)(memoryAfter - memoryBefore) / o.ScaleScheduled;

        double empty = 0, loaded = 0;
        for (var round = 1; round <= o.ScaleRounds; round++)
        {
            // Which case goes first alternates, so neither always follows the other's burst of writes.
            for (var turn = 0; turn < 2; turn++)
            {
                if ((round + turn) % 2 == 1)
                    empty = Math.Max(empty, await ClaimRateAsync(Queue(redis, Empty), db, o.ScaleDue, $"round {round}/{o.ScaleRounds}, schedule empty", ct));
                else
                    loaded = Math.Max(loaded, await ClaimRateAsync(Queue(redis, Loaded), db, o.ScaleDue, $"round {round}/{o.ScaleRounds}, {o.ScaleScheduled:N0} scheduled", ct));
            }
        }
        var drain = await DrainAsync(Queue(redis, Loaded), db, server, start.AddHours(2), o.ScaleScheduled, ct);
        await ClearAsync(server, db);

        var change = (loaded - empty) / empty;
        context.Report.Details[Name] = new
        {
            scheduled = o.ScaleScheduled, usedMemoryBefore = memoryBefore, usedMemoryAfter = memoryAfter, bytesPerScheduled = perDelivery,
            keyBytes, claimedPerRound = o.ScaleDue, claimBatch = ClaimBatch, rounds = o.ScaleRounds,
            claimPerSecondEmpty = empty, claimPerSecondLoaded = loaded, change,
            drain,
        };
        var size = $"{o.ScaleScheduled:N0} scheduled";
        context.Report.Add(new Figure(Name, $"Redis memory per scheduled delivery ({size})",
            $"{perDelivery:N0} bytes (used_memory Δ; the keys alone: {(double)keyBytes / o.ScaleScheduled:N0})", "≤ 100 bytes", Figure.None, perDelivery <= 100));
        context.Report.Add(new Figure(Name, $"Claim rate, schedule empty (`ClaimDueAsync`, {ClaimBatch}/call)",
            $"{empty:N0} deliveries/s", Figure.None, "Lua claim of 100: ~184k items/s¹", null));
        context.Report.Add(new Figure(Name, $"Claim rate with {size}",
            $"{loaded:N0} deliveries/s ({change:+0%;-0%;0%} vs empty)", "within 20% of empty", "Lua claim of 100: ~184k items/s¹", change >= -0.20));
        context.Report.Add(new Figure(Name, $"Promote and claim all {size} (clock two hours on)",
            $"{drain.Claimed:N0} claimed ({drain.Twice} twice) at {drain.Rate:N0}/s; {drain.Describe()}",
            "each once", Figure.None, drain.Claimed == o.ScaleScheduled && drain.Twice == 0));
    }

    /// <summary>
    /// Claims as the Dispatcher would once the whole schedule is due, until nothing is left: each call promotes up to
    /// <see cref="DeliveryQueue.PromoteBatch"/> later-bucket entries, then claims 100. Counts distinct ids, and reads
    /// Redis' CPU time per call (not wall time, which on a busy box is mostly waiting for a core) while buckets remain
    /// and once they are gone: the difference is what promotion costs Redis.
    /// </summary>
    private static async Task<Drain> DrainAsync(DeliveryQueue queue, IDatabase db, IServer server, DateTimeOffset now, int expected,
        CancellationToken ct)
    {
        var seen = new HashSet<QueuedDelivery>(expected);
        var twice = 0;
        var calls = 0;
        var first = (Cpu: await RedisCpuSecondsAsync(server), Calls: 0);
        (double Cpu, int Calls)? promoted = null;
        var started = Stopwatch.GetTimestamp();
        await using (ProgressLine.Start("scale", () => $"promoting and claiming: {seen.Count,9:N0} claimed"))
        {
            while (await queue.NextDueAtAsync() is not null)
            {
                ct.ThrowIfCancellationRequested();
                var ids = await queue.ClaimDueAsync(now, ClaimBatch, Lease);
                calls++;
                foreach (var id in ids)
                    if (!seen.Add(id)) twice++;
                if (promoted is null && calls % 10 == 0 && await db.SortedSetLengthAsync(queue.Keys.Later) == 0)
                    promoted = (await RedisCpuSecondsAsync(server), calls);
            }
        }
        var rate = seen.Count / Stopwatch.GetElapsedTime(started).TotalSeconds;
        var last = (Cpu: await RedisCpuSecondsAsync(server), Calls: calls);
        var split = promoted ?? last;
        var drain = new Drain(seen.Count, twice, rate, split.Calls,
            CpuPerCallUs: (split.Cpu - first.Cpu) / Math.Max(split.Calls, 1) * 1e6,
            CpuPerPlainCallUs: (last.Cpu - split.Cpu) / Math.Max(last.Calls - split.Calls, 1) * 1e6);
        ProgressLine.Say("scale", $"promoted and claimed {drain.Claimed:N0} ({twice} twice) at {rate:N0}/s; {drain.Describe()}");
        return drain;
    }

    /// <param name="PromotingCalls">Claim calls until the last bucket was gone (checked every 10).</param>
    /// <param name="CpuPerCallUs">Redis CPU per call meanwhile (with the NextDueAtAsync read between calls).</param>
    /// <param name="CpuPerPlainCallUs">The same after: plain claims of 100, no promotion.</param>
    private sealed record Drain(int Claimed, int Twice, double Rate, int PromotingCalls, double CpuPerCallUs, double CpuPerPlainCallUs)
    {
        public string Describe() =>
            $"Redis CPU {CpuPerCallUs:N0} µs a claim while promoting ({PromotingCalls:N0} calls, {DeliveryQueue.PromoteBatch} entries each), "
            + $"{CpuPerPlainCallUs:N0} µs after";
    }

    private static async Task<double> RedisCpuSecondsAsync(IServer server)
    {
        var info = (await server.InfoAsync("cpu")).SelectMany(group => group).ToDictionary(pair => pair.Key, pair => pair.Value);
        return double.Parse(info["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(info["used_cpu_sys"], CultureInfo.InvariantCulture);
    }

    /// <summary>Adds <paramref name="due"/> deliveries due now and claims them all, as one Dispatcher would.</summary>
    private static async Task<double> ClaimRateAsync(DeliveryQueue queue, IDatabase db, int due, string label, CancellationToken ct)
    {
        await AddAsync(db, queue.Keys, due, TimeProvider.System.GetUtcNow().AddSeconds(-1), $"{label}: adding {due:N0} due", ct);
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
        await db.KeyDeleteAsync([queue.Keys.InFlight, queue.Keys.Slots, queue.Keys.Busy]);
        return rate;
    }

    /// <summary>Schedules <paramref name="count"/> random delivery ids due at random within <paramref name="spread"/>
    /// from <paramref name="from"/>, as many publishes and retries would.</summary>
    private static Task ScheduleAsync(DeliveryQueue queue, int count, DateTimeOffset from, TimeSpan spread, string label, CancellationToken ct)
    {
        var random = new Random(8);
        return InChunksAsync(count, label, size => queue.ScheduleAsync(
            Enumerable.Range(0, size).Select(_ => (NewDelivery(random), from + spread * random.NextDouble())).ToList()), ct);
    }

    private static DeliveryQueue Queue(IConnectionMultiplexer redis, QueueKeys keys) => new(redis, keys, caps: OutOfReach);

    /// <summary>A new delivery of one of <see cref="Webhooks"/> webhooks, webhook i of tenant i % <see cref="Tenants"/>.</summary>
    private static QueuedDelivery NewDelivery(Random random)
    {
        var webhook = random.Next(Webhooks);
        return new QueuedDelivery(Guid.CreateVersion7(), PoolId(1, webhook), PoolId(2, webhook % Tenants));
    }

    private static Guid PoolId(int kind, int n) => new(n, (short)kind, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>ZADDs <paramref name="count"/> random deliveries due at <paramref name="dueAt"/> straight into the due
    /// set (not through <see cref="DeliveryQueue.ScheduleAsync(IReadOnlyCollection{ValueTuple{QueuedDelivery, DateTimeOffset}})"/>,
    /// so the load generator pays for no wake messages).</summary>
    private static Task AddAsync(IDatabase db, QueueKeys keys, int count, DateTimeOffset dueAt, string label, CancellationToken ct)
    {
        var score = dueAt.ToUnixTimeMilliseconds();
        var random = new Random(9);
        return InChunksAsync(count, label, size => db.SortedSetAddAsync(keys.Due,
            Enumerable.Range(0, size).Select(_ => new SortedSetEntry(NewDelivery(random).ToMember(), score)).ToArray()), ct);
    }

    /// <summary>Writes <paramref name="count"/> deliveries in chunks of <see cref="AddChunk"/>, <see cref="Pipelined"/>
    /// chunks in flight at a time.</summary>
    private static async Task InChunksAsync(int count, string label, Func<int, Task> write, CancellationToken ct)
    {
        long added = 0;
        await using (ProgressLine.Start("scale", () => $"{label}: {Interlocked.Read(ref added),10:N0}"))
        {
            var inFlight = new List<Task>();
            for (var start = 0; start < count; start += AddChunk)
            {
                ct.ThrowIfCancellationRequested();
                var size = Math.Min(AddChunk, count - start);
                inFlight.Add(CountedAsync(size));
                if (inFlight.Count >= Pipelined)
                {
                    await Task.WhenAll(inFlight);
                    inFlight.Clear();
                }
            }
            await Task.WhenAll(inFlight);
        }

        // Awaited rather than ContinueWith, so a failed write fails the scenario instead of counting as written.
        async Task CountedAsync(int size)
        {
            await write(size);
            Interlocked.Add(ref added, size);
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

    /// <summary>MEMORY USAGE summed over the schedule's keys: what the layout itself costs, allocator slack included.</summary>
    private static async Task<long> KeyBytesAsync(IServer server, IDatabase db, QueueKeys keys)
    {
        long bytes = 0;
        await foreach (var key in server.KeysAsync(db.Database, Pattern(keys)))
            bytes += (long)await db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        return bytes;
    }

    private static async Task ClearAsync(IServer server, IDatabase db)
    {
        foreach (var keys in new[] { Empty, Loaded })
            await foreach (var key in server.KeysAsync(db.Database, Pattern(keys))) await db.KeyDeleteAsync(key);
    }

    /// <summary>Every key of a schedule (braces are not special in Redis patterns).</summary>
    private static string Pattern(QueueKeys keys) => keys.Tag + "*";
}
