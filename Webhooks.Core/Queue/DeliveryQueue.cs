using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// The delivery schedule in Redis. Postgres is the source of truth; this only says *when* to look at a delivery, so
/// losing all of it loses nothing (the Dispatcher's reconciler rebuilds it from Postgres).
///
/// <code>
///   webhooks:due              ZSET    member = delivery id (16 raw bytes)  score = due time (unix ms)
///   webhooks:inflight         ZSET    member = delivery id                 score = lease expiry (unix ms)
///   webhooks:later:{start}    STRING  24-byte entries (delivery id, due unix ms as int64 LE) due in [start, start + 1 min)
///   webhooks:later            ZSET    member = score = a later bucket's start (unix ms)
///   webhooks:promoting        HASH    bucket start → bytes of that bucket already promoted
///   webhooks:wake             pub/sub channel; message = earliest due time (unix ms) just scheduled
///
///   schedule ─┬─ due within 2 min ─────────ZADD────────▶ due ──claim (Lua, atomic)──▶ inflight ──ack──▶ (gone)
///             │                                         ▲ ▲ ▲                            │
///             └─ later ──APPEND──▶ later:{start} ───────┘ │ └─────────── reap ───────────┤  (lease expired: worker died)
///                  promoted by a claim from 2 min         │                              │
///                  before the bucket's start              └─ reconcile (due within 90 s) │
///                                                                                        │
///   reschedule (next retry time; either tier, as schedule) ◀─────────────────────────────┘
/// </code>
///
/// A claim moves due ids to in-flight with a lease longer than the request timeout, in one script, so two
/// Dispatchers never claim the same id. A worker that dies mid-send leaves its ids in-flight until the lease expires;
/// the reaper then puts them back in due. Delivery is therefore at least once, and Postgres fences the writes by
/// attempt number so a late worker cannot overwrite a newer result.
///
/// Two tiers, because a sorted-set member costs ~118 bytes and most of a large schedule is retries hours ahead: those
/// wait as 24-byte entries appended to a string per minute, and the claim script promotes a bucket into the due set
/// (at each entry's exact time) from two minutes before its start, a bounded number of entries per call so Redis is
/// never blocked for long. Promotion skips ids in flight (their worker reschedules them from Postgres) and never moves
/// an earlier due score later. A bucket entry can be stale (the delivery was rescheduled or finished since): claiming
/// it is harmless, as the Dispatcher reads the delivery from Postgres and acks or reschedules what is not due.
/// Throughout, the earliest time wins: a delivery claimed early costs one read; one claimed late is a late retry.
/// Needs Redis 6.2 or later (ZADD LT, ZMSCORE).
/// </summary>
public sealed class DeliveryQueue(IConnectionMultiplexer redis, TimeProvider? time = null)
{
    public static readonly RedisKey DueKey = "webhooks:due";
    public static readonly RedisKey InFlightKey = "webhooks:inflight";
    public static readonly RedisKey LaterKey = "webhooks:later";
    public static readonly RedisKey PromotingKey = "webhooks:promoting";
    public static readonly RedisChannel WakeChannel = RedisChannel.Literal("webhooks:wake");

    /// <summary>Deliveries due within this go straight to the due set; later buckets are promoted this far ahead. Far
    /// above the Dispatcher's longest sleep (1 s), so promotion always comes well before the first entry is due.</summary>
    public static readonly TimeSpan NearHorizon = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How far ahead the reconciler restores missing deliveries. Anything due later is either in a later bucket or
    /// (after a Redis flush) restored by a sweep once it comes this close, still before it is due as long as sweeps
    /// run at least this often. Shorter than <see cref="NearHorizon"/> so that promotion, run by every claim, has had
    /// 30 s to move a bucket before a sweep would take its deliveries for missing.
    /// </summary>
    public static readonly TimeSpan RestoreHorizon = NearHorizon - TimeSpan.FromSeconds(30);

    /// <summary>Later-bucket entries promoted per claim at most. Each costs Redis 2–4 µs on a busy two-core box (its
    /// ZADD, which a schedule straight into the due set would have cost anyway, and the Lua around it), so a promoting
    /// claim holds Redis at most ~1 ms more. Still ahead of any dispatch rate: while a bucket is being promoted,
    /// <see cref="NextDueAtAsync"/> asks for the next claim at once, and a busy Dispatcher claims 100 at a time.</summary>
    public const int PromoteBatch = 250;

    private static readonly LuaScript ReapScript = LuaScript.Prepare("""
        local ids = redis.call('ZRANGEBYSCORE', @inflight, '-inf', @now, 'LIMIT', 0, @max)
        if #ids > 0 then
          for _, id in ipairs(ids) do redis.call('ZADD', @due, @now, id) end
          redis.call('ZREM', @inflight, unpack(ids))
        end
        return #ids
        """);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Due times up to this (unix ms) go to the due set, later ones to a later bucket.</summary>
    private long NearUntil() => (_time.GetUtcNow() + NearHorizon).ToUnixTimeMilliseconds();

    /// <summary>Schedules deliveries: those due within <see cref="NearHorizon"/> in the due set (an earlier score it
    /// already holds stays) and wakes sleeping Dispatchers; later ones in their later bucket.</summary>
    public async Task ScheduleAsync(IReadOnlyCollection<(Guid DeliveryId, DateTimeOffset DueAt)> deliveries)
    {
        if (deliveries.Count == 0) return;
        var nearUntil = NearUntil();
        var near = new List<SortedSetEntry>(deliveries.Count);
        var later = new List<(Guid, long)>();
        foreach (var (id, dueAt) in deliveries)
        {
            var at = dueAt.ToUnixTimeMilliseconds();
            if (at <= nearUntil) near.Add(new SortedSetEntry(Member(id), at));
            else later.Add((id, at));
        }
        // Every command goes out before any answer is awaited: one round trip on every publish.
        var writes = new List<Task>();
        if (near.Count > 0)
        {
            writes.Add(Db.SortedSetAddAsync(DueKey, near.ToArray(), SortedSetWhen.LessThan));
            writes.Add(Db.PublishAsync(WakeChannel, (long)near.Min(e => e.Score)));
        }
        if (later.Count > 0)
        {
            var transaction = Db.CreateTransaction();
            writes.AddRange(LaterBuckets.Append(transaction, later));
            writes.Add(transaction.ExecuteAsync());
        }
        await Task.WhenAll(writes);
    }

    public Task ScheduleAsync(Guid deliveryId, DateTimeOffset dueAt) => ScheduleAsync([(deliveryId, dueAt)]);

    /// <summary>Atomically moves up to <paramref name="max"/> ids due at <paramref name="now"/> to in-flight until
    /// <c>now + lease</c>, after promoting up to <see cref="PromoteBatch"/> entries of later buckets that start within
    /// <see cref="NearHorizon"/> of <paramref name="now"/> into the due set.</summary>
    public async Task<IReadOnlyList<Guid>> ClaimDueAsync(DateTimeOffset now, int max, TimeSpan lease)
    {
        var result = await Db.ScriptEvaluateAsync(ClaimScript.Script, new
        {
            due = DueKey,
            inflight = InFlightKey,
            later = LaterKey,
            promoting = PromotingKey,
            now = now.ToUnixTimeMilliseconds(),
            max,
            leaseUntil = (now + lease).ToUnixTimeMilliseconds(),
            promoteUntil = (now + NearHorizon).ToUnixTimeMilliseconds(),
            promoteMax = PromoteBatch,
            bucketPrefix = LaterBuckets.KeyPrefix,
        });
        return ((RedisValue[])result!).Select(FromMember).ToList();
    }

    /// <summary>The delivery is finished (or handed back to Postgres' care): forget it.</summary>
    public Task AckAsync(Guid deliveryId) => Db.SortedSetRemoveAsync(InFlightKey, Member(deliveryId));

    /// <summary>Moves a claimed delivery out of in-flight and back into the schedule at its next attempt time, in the
    /// tier <see cref="ScheduleAsync(IReadOnlyCollection{ValueTuple{Guid, DateTimeOffset}})"/> would pick.</summary>
    public async Task RescheduleAsync(Guid deliveryId, DateTimeOffset dueAt)
    {
        var at = dueAt.ToUnixTimeMilliseconds();
        // One transaction, so the delivery is never out of in-flight without being scheduled.
        var transaction = Db.CreateTransaction();
        var writes = new List<Task> { transaction.SortedSetRemoveAsync(InFlightKey, Member(deliveryId)) };
        if (at <= NearUntil())
            writes.Add(transaction.SortedSetAddAsync(DueKey, Member(deliveryId), at, SortedSetWhen.LessThan));
        else
            writes.AddRange(LaterBuckets.Append(transaction, [(deliveryId, at)]));
        writes.Add(transaction.ExecuteAsync());
        await Task.WhenAll(writes);
    }

    /// <summary>Returns expired leases (their worker died or stalled) to the due set, due now.</summary>
    public async Task<int> ReapExpiredLeasesAsync(DateTimeOffset now, int max = 1000) =>
        (int)await Db.ScriptEvaluateAsync(ReapScript,
            new { inflight = InFlightKey, due = DueKey, now = now.ToUnixTimeMilliseconds(), max });

    /// <summary>Adds deliveries Postgres says are live to the due set unless Redis already has them due or in flight,
    /// so a sweep never doubles a delivery that is being sent. Meant for deliveries due within
    /// <see cref="RestoreHorizon"/>: it cannot see later buckets, so a later delivery would be added again.</summary>
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

    /// <summary>
    /// When the Dispatcher should next claim: the earliest due time in the due set, or earlier, when the first later
    /// bucket is to be promoted (<see cref="NearHorizon"/> before its start; a past time while a large bucket is still
    /// being promoted, a batch per claim). Null when the schedule is empty.
    /// </summary>
    public async Task<DateTimeOffset?> NextDueAtAsync()
    {
        var due = Db.SortedSetRangeByRankWithScoresAsync(DueKey, 0, 0);
        var later = Db.SortedSetRangeByRankWithScoresAsync(LaterKey, 0, 0);
        DateTimeOffset? next = (await due) is [var first] ? DateTimeOffset.FromUnixTimeMilliseconds((long)first.Score) : null;
        if ((await later) is [var bucket])
        {
            var promoteAt = DateTimeOffset.FromUnixTimeMilliseconds((long)bucket.Score) - NearHorizon;
            if (next is null || promoteAt < next) next = promoteAt;
        }
        return next;
    }

    public Task<long> DueCountAsync() => Db.SortedSetLengthAsync(DueKey);

    /// <summary>
    /// How many deliveries wait in later buckets (due beyond <see cref="NearHorizon"/>, mostly retries), for the queue
    /// gauge: each bucket's bytes not yet promoted, over the entry size. One round trip of a STRLEN per bucket (about
    /// sixty per hour of schedule) after reading the index.
    /// </summary>
    public async Task<long> LaterCountAsync()
    {
        var starts = await Db.SortedSetRangeByRankAsync(LaterKey);
        if (starts.Length == 0) return 0;
        var batch = Db.CreateBatch();
        var lengths = starts.Select(start => batch.StringLengthAsync(LaterBuckets.Key((long)start))).ToArray();
        var promoted = batch.HashGetAsync(PromotingKey, starts);
        batch.Execute();
        var offsets = await promoted;
        long entries = 0;
        for (var i = 0; i < starts.Length; i++)
            entries += Math.Max(0, await lengths[i] - (offsets[i].IsNull ? 0 : (long)offsets[i])) / LaterBuckets.EntryBytes;
        return entries;
    }

    public Task<long> InFlightCountAsync() => Db.SortedSetLengthAsync(InFlightKey);

    /// <summary>Whether the delivery is due or in flight; used by tests. Later buckets are not searched: a delivery
    /// due beyond <see cref="NearHorizon"/> shows here once promoted.</summary>
    public async Task<bool> ContainsAsync(Guid deliveryId) =>
        await Db.SortedSetScoreAsync(DueKey, Member(deliveryId)) is not null
        || await Db.SortedSetScoreAsync(InFlightKey, Member(deliveryId)) is not null;

    internal static RedisValue Member(Guid id) => id.ToByteArray();

    internal static Guid FromMember(RedisValue value) => new((byte[])value!);
}
