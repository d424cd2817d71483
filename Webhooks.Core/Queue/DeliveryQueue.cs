using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// The delivery schedule in Redis. Postgres is the source of truth; this only says *when* to look at a delivery, so
/// losing all of it loses nothing (the Dispatcher's reconciler rebuilds it from Postgres).
///
/// <code>
///   webhooks:due       ZSET  member = delivery id (16 raw bytes)  score = due time (unix ms)
///   webhooks:inflight  ZSET  member = delivery id                 score = lease expiry (unix ms)
///   webhooks:wake      pub/sub channel; message = earliest due time (unix ms) just scheduled
///
///   publish / retry / reconcile ──ZADD──▶ due ──claim (Lua, atomic)──▶ inflight ──ack──▶ (gone)
///                                          ▲                              │
///                                          ├──────── reschedule ──────────┤  (failed attempt: next retry time)
///                                          └──────── reap ────────────────┘  (lease expired: worker died)
/// </code>
///
/// A claim moves due ids to in-flight with a lease longer than the request timeout, in one script, so two
/// Dispatchers never claim the same id. A worker that dies mid-send leaves its ids in-flight until the lease expires;
/// the reaper then puts them back in due. Delivery is therefore at least once, and Postgres fences the writes by
/// attempt number so a late worker cannot overwrite a newer result.
/// </summary>
public sealed class DeliveryQueue(IConnectionMultiplexer redis, ILogger<DeliveryQueue>? logger = null)
{
    public static readonly RedisKey DueKey = "webhooks:due";
    public static readonly RedisKey InFlightKey = "webhooks:inflight";
    public static readonly RedisChannel WakeChannel = RedisChannel.Literal("webhooks:wake");

    private static readonly LuaScript ClaimScript = LuaScript.Prepare("""
        local ids = redis.call('ZRANGEBYSCORE', @due, '-inf', @now, 'LIMIT', 0, @max)
        if #ids > 0 then
          for _, id in ipairs(ids) do redis.call('ZADD', @inflight, @leaseUntil, id) end
          redis.call('ZREM', @due, unpack(ids))
        end
        return ids
        """);

    private static readonly LuaScript RescheduleScript = LuaScript.Prepare("""
        redis.call('ZREM', @inflight, @id)
        redis.call('ZADD', @due, @dueAt, @id)
        """);

    private static readonly LuaScript ReapScript = LuaScript.Prepare("""
        local ids = redis.call('ZRANGEBYSCORE', @inflight, '-inf', @now, 'LIMIT', 0, @max)
        if #ids > 0 then
          for _, id in ipairs(ids) do redis.call('ZADD', @due, @now, id) end
          redis.call('ZREM', @inflight, unpack(ids))
        end
        return #ids
        """);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Puts deliveries in the due set (replacing any earlier score) and wakes sleeping Dispatchers.</summary>
    public async Task ScheduleAsync(IReadOnlyCollection<(Guid DeliveryId, DateTimeOffset DueAt)> deliveries)
    {
        if (deliveries.Count == 0) return;
        var entries = deliveries.Select(d => new SortedSetEntry(Member(d.DeliveryId), d.DueAt.ToUnixTimeMilliseconds())).ToArray();
        // Both commands go out before either answer is awaited: one round trip, not two, on every publish.
        var added = Db.SortedSetAddAsync(DueKey, entries);
        var woken = Db.PublishAsync(WakeChannel, deliveries.Min(d => d.DueAt).ToUnixTimeMilliseconds());
        await Task.WhenAll(added, woken);
    }

    public Task ScheduleAsync(Guid deliveryId, DateTimeOffset dueAt) => ScheduleAsync([(deliveryId, dueAt)]);

    /// <summary>
    /// Schedules deliveries already committed to Postgres. If Redis is unreachable they are not lost: the Dispatcher's
    /// reconciler finds them in Postgres and schedules them, so the failure is logged and the caller carries on.
    /// </summary>
    /// <returns>False when Redis could not be written.</returns>
    public async Task<bool> ScheduleCommittedAsync(IReadOnlyCollection<(Guid DeliveryId, DateTimeOffset DueAt)> deliveries)
    {
        try
        {
            await ScheduleAsync(deliveries);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger?.LogWarning(e, "Could not schedule {Count} committed deliveries in Redis; the reconciler will pick them up", deliveries.Count);
            return false;
        }
    }

    /// <summary>Atomically moves up to <paramref name="max"/> ids due at <paramref name="now"/> to in-flight until
    /// <c>now + lease</c>.</summary>
    public async Task<IReadOnlyList<Guid>> ClaimDueAsync(DateTimeOffset now, int max, TimeSpan lease)
    {
        var result = await Db.ScriptEvaluateAsync(ClaimScript, new
        {
            due = DueKey,
            inflight = InFlightKey,
            now = now.ToUnixTimeMilliseconds(),
            max,
            leaseUntil = (now + lease).ToUnixTimeMilliseconds(),
        });
        return ((RedisValue[])result!).Select(FromMember).ToList();
    }

    /// <summary>The delivery is finished (or handed back to Postgres' care): forget it.</summary>
    public Task AckAsync(Guid deliveryId) => Db.SortedSetRemoveAsync(InFlightKey, Member(deliveryId));

    /// <summary>Moves a claimed delivery back to due at its next attempt time.</summary>
    public async Task RescheduleAsync(Guid deliveryId, DateTimeOffset dueAt) =>
        await Db.ScriptEvaluateAsync(RescheduleScript,
            new { inflight = InFlightKey, due = DueKey, id = Member(deliveryId), dueAt = dueAt.ToUnixTimeMilliseconds() });

    /// <summary>Returns expired leases (their worker died or stalled) to the due set, due now.</summary>
    public async Task<int> ReapExpiredLeasesAsync(DateTimeOffset now, int max = 1000) =>
        (int)await Db.ScriptEvaluateAsync(ReapScript,
            new { inflight = InFlightKey, due = DueKey, now = now.ToUnixTimeMilliseconds(), max });

    /// <summary>Adds deliveries Postgres says are live unless Redis already has them due or in flight, so a sweep
    /// never doubles a delivery that is being sent.</summary>
    public async Task<int> RestoreAsync(IReadOnlyList<(Guid DeliveryId, DateTimeOffset DueAt)> deliveries)
    {
        if (deliveries.Count == 0) return 0;
        // Scripts take KEYS/ARGV lists; pass ids and scores as parallel argument arrays through a plain EVAL.
        var args = new List<RedisValue>(deliveries.Count * 2);
        args.AddRange(deliveries.Select(d => Member(d.DeliveryId)));
        args.AddRange(deliveries.Select(d => (RedisValue)d.DueAt.ToUnixTimeMilliseconds()));
        var added = (int)await Db.ScriptEvaluateAsync("""
            local n = #ARGV / 2
            local added = 0
            for i = 1, n do
              if not redis.call('ZSCORE', KEYS[2], ARGV[i]) then
                added = added + redis.call('ZADD', KEYS[1], 'NX', ARGV[n + i], ARGV[i])
              end
            end
            return added
            """, [DueKey, InFlightKey], args.ToArray());
        if (added > 0) await Db.PublishAsync(WakeChannel, deliveries.Min(d => d.DueAt).ToUnixTimeMilliseconds());
        return added;
    }

    /// <summary>The earliest due time in the schedule, or null when nothing is due.</summary>
    public async Task<DateTimeOffset?> NextDueAtAsync()
    {
        var first = await Db.SortedSetRangeByRankWithScoresAsync(DueKey, 0, 0);
        return first.Length == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)first[0].Score);
    }

    public Task<long> DueCountAsync() => Db.SortedSetLengthAsync(DueKey);

    public Task<long> InFlightCountAsync() => Db.SortedSetLengthAsync(InFlightKey);

    /// <summary>Whether Redis knows the delivery at all (due or in flight); used by tests and the reconciler's report.</summary>
    public async Task<bool> ContainsAsync(Guid deliveryId) =>
        await Db.SortedSetScoreAsync(DueKey, Member(deliveryId)) is not null
        || await Db.SortedSetScoreAsync(InFlightKey, Member(deliveryId)) is not null;

    internal static RedisValue Member(Guid id) => id.ToByteArray();

    internal static Guid FromMember(RedisValue value) => new((byte[])value!);
}
