using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// The delivery schedule in Redis. Postgres is the source of truth; this only says *when* to look at a delivery, so
/// losing all of it loses nothing (the Dispatcher's reconciler rebuilds it from Postgres).
///
/// <code>
///   A member M = delivery id | webhook id | tenant id, 16 raw bytes each (48; QueuedDelivery). Keys ({webhooks}:v2:…):
///   due            ZSET    member = M                 score = due time (unix ms)
///   inflight       ZSET    member = M                 score = lease expiry (unix ms)
///   later:{start}  STRING  52-byte entries (M, due ms after start as uint32 LE) due in [start, start + 1 min)
///   later          ZSET    member = score = a later bucket's start (unix ms)
///   promoting      HASH    bucket start → bytes of that bucket already promoted
///   busy           HASH    w{webhook id} / t{tenant id} → deliveries holding a slot under the in-flight caps: those
///                          in inflight, and those in slots
///   slots          SET     M of each delivery due again with a slot (granted one, or its lease reaped)
///   held           ZSET    score 0, byte-ordered 57-byte members: w{webhook id}{due ms, int64 BE}{delivery id}{tenant id}
///                          (held by the webhook's cap) or t{tenant id}{due ms BE}{delivery id}{webhook id} (the tenant's)
///   heldby         HASH    M → its line's kind (w or t) and due ms: where it is in held
///   {webhooks}:wake        pub/sub channel; message = earliest due time (unix ms) just scheduled (or a slot granted)
///
///   schedule ─┬─ due within 2 min ──────ZADD─────▶ due ──claim (Lua, atomic)─────────▶ inflight ──▶ read ──▶ send ──ack──▶ (gone)
///             │                                  ▲ │ ▲ ▲ ▲   under both caps: takes a slot   │   (Postgres, only
///             └─ later ──APPEND──▶ later:{start} ┘ │ │ │ │                                   │    what is claimed)
///                  promoted by a claim from 2 min  │ │ │ └────────── reap ───────────────────┤  (lease expired: worker
///                  before the bucket's start       │ │ │             (keeps its slot)        │   died; slot kept)
///                                                  │ │ └─ grant: a freed slot goes to the ───┤  oldest held of its
///                                                  │ │    webhook or tenant (with the slot)  │  webhook or tenant
///                                                  │ └─ reconcile (due within 90 s, not held)│
///                                                  └──▶ held (over a cap: its webhook's or   │
///                                                       tenant's line, in due order)         │
///   reschedule (next retry time; either tier, as schedule; frees the slot) ◀─────────────────┘
/// </code>
///
/// Every key starts with the hash tag <c>{prefix}</c> (<c>Webhooks:Redis:KeyPrefix</c>, default <c>webhooks</c>; see
/// <see cref="QueueKeys"/>), so all of them live in one Redis Cluster slot, and every key a script touches is passed to
/// it as a key (KEYS), never built inside the script. The segment after it (<see cref="QueueKeys.Layout"/>) names the
/// members' layout: a new layout gets new keys, and the reconciler refills them from Postgres (README, "Upgrading").
///
/// A claim moves due deliveries to in-flight with a lease longer than the request timeout, in one script, so two
/// Dispatchers never claim the same one. A worker that dies mid-send leaves its deliveries in-flight until the lease
/// expires; the reaper then puts them back in due. Delivery is therefore at least once, and Postgres fences the writes
/// by attempt number so a late worker cannot overwrite a newer result.
///
/// Two tiers, because a sorted-set member costs ~150 bytes and most of a large schedule is retries hours ahead: those
/// wait as 52-byte entries appended to a string per minute, and the claim script promotes a bucket into the due set
/// (at each entry's exact time) from two minutes before its start, a bounded number of entries per call so Redis is
/// never blocked for long. Promotion skips deliveries in flight (their worker reschedules them from Postgres) and never
/// moves an earlier due score later. A bucket entry can be stale (the delivery was rescheduled or finished since):
/// claiming it is harmless, as the Dispatcher reads the delivery from Postgres and acks or reschedules what is not due.
/// Throughout, the earliest time wins: a delivery claimed early costs one read; one claimed late is a late retry.
///
/// In-flight caps (<see cref="InFlightCaps"/>; <c>Webhooks:Delivery:MaxInFlightPerWebhook</c> / <c>MaxInFlightPerTenant</c>,
/// for all Dispatchers together) are applied by the claim script itself, before anything is read from Postgres: the
/// member tells the delivery's webhook and tenant. Each due delivery the claim looks at leaves the due set: under both
/// caps it takes a slot (busy) and is claimed; over one it goes to its webhook's line in held (or its tenant's,
/// when only the tenant is full), ordered by due time, and costs nothing more (no claim looks at it, Postgres never
/// reads it) until a slot frees. A claim holds at most <see cref="HoldBatch"/> a call, so a capped webhook's backlog is
/// set aside a bounded step at a time, each delivery once. Every script that takes a delivery out of in-flight (ack,
/// reschedule, hand-back) frees its slot and grants it, in the same script, to the oldest delivery held in that
/// webhook's or tenant's line: it moves back to due at its own (past) due time, keeping the slot (slots), so the next
/// claim takes it first, whatever the caps. A new delivery is held while older ones of its webhook wait, so a webhook's
/// deliveries leave in due order. Every claimed delivery holds a slot, so one that turns out not to be sent (final,
/// webhook closed, not yet due) gives it back at once with its ack or reschedule. A reaped lease keeps its slot (the delivery goes back to due, to be
/// claimed again). The reconciler treats a held delivery as present. The lease reaper now and then recounts busy from
/// inflight and slots, dropping a slot whose delivery is no longer due (only a fault between commands leaves one), and
/// grants any room so found; a FLUSHALL clears all of these keys together, and the reconciler restores the due
/// deliveries from Postgres.
///
/// Which buckets to promote: the script cannot look a bucket's key up for itself (it would be undeclared), so each
/// claim answers, with the claimed deliveries, the first starts of the later index, and the next claim names the
/// buckets among them that are due for promotion. A claim therefore stays one round trip; only when the answer shows a
/// bucket due for promotion that the call did not name (the first claim of a process, or a bucket appended since the
/// last claim with an earlier start than any known) does the same claim run the script once more, naming it. Needs
/// Redis 6.2 or later (ZADD LT, ZMSCORE).
/// </summary>
public sealed class DeliveryQueue(IConnectionMultiplexer redis, QueueKeys keys, TimeProvider? time = null, InFlightCaps? caps = null)
{
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

    /// <summary>Deliveries a claim holds (sets aside over the caps) per call at most. Each costs Redis a few µs (the
    /// cap checks, a ZADD to its line and an HSET), so a claim meeting a capped webhook's backlog holds Redis ~1–2 ms
    /// more at most; and each is held once, so the whole backlog costs what it would once. While a backlog is being set
    /// aside, <see cref="NextDueAtAsync"/> shows due deliveries and the Dispatcher claims again at once.</summary>
    public const int HoldBatch = 250;

    private static readonly LuaScript ReapScript = LuaScript.Prepare("""
        local ids = redis.call('ZRANGEBYSCORE', @inflight, '-inf', @now, 'LIMIT', 0, @max)
        if #ids > 0 then
          for _, id in ipairs(ids) do redis.call('ZADD', @due, @now, id) end
          -- Each keeps the slot it held in flight (see InFlightCaps), so the next claim takes it whatever the caps.
          redis.call('SADD', @slots, unpack(ids))
          redis.call('ZREM', @inflight, unpack(ids))
        end
        return #ids
        """);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly InFlightCaps _caps = caps ?? InFlightCaps.Default;

    /// <summary>The first starts of the later index as the last claim saw them: the buckets the next claim may name.</summary>
    private long[] _laterHead = [];

    public QueueKeys Keys => keys;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Due times up to this (unix ms) go to the due set, later ones to a later bucket.</summary>
    private long NearUntil() => (_time.GetUtcNow() + NearHorizon).ToUnixTimeMilliseconds();

    /// <summary>Members per ZADD when scheduling: a few hundred microseconds of Redis at most.</summary>
    internal const int ScheduleChunk = 1000;

    /// <summary>
    /// Adds members to the due set, each at its score (an earlier score already there stays), except those in flight or
    /// held under the caps: those already have a place in the schedule, and a second one would be claimed, and sent, a
    /// second time. ARGV holds score, member pairs; the answer is the members left alone because they are in flight.
    /// A script, so no claim can come between the look and the add.
    /// </summary>
    private const string AddDueUnlessScheduledLua = """
        local inflight = {}
        for i = 1, #ARGV, 2 do
          local member = ARGV[i + 1]
          if redis.call('ZSCORE', KEYS[2], member) then inflight[#inflight + 1] = member
          elseif redis.call('HEXISTS', KEYS[3], member) == 0 then redis.call('ZADD', KEYS[1], 'LT', ARGV[i], member) end
        end
        return inflight
        """;

    /// <summary>
    /// Schedules deliveries: those due within <see cref="NearHorizon"/> in the due set (an earlier score it already
    /// holds stays) and wakes sleeping Dispatchers; later ones in their later bucket. A delivery already in flight or
    /// held is left alone: the reconciler may have restored a new delivery from Postgres, and a Dispatcher claimed it,
    /// between the publish's commit and this schedule, and adding it again would send it twice at once.
    /// </summary>
    public async Task ScheduleAsync(IReadOnlyCollection<(QueuedDelivery Delivery, DateTimeOffset DueAt)> deliveries)
    {
        if (deliveries.Count == 0) return;
        var nearUntil = NearUntil();
        var near = new List<RedisValue>(deliveries.Count * 2);
        var later = new List<(QueuedDelivery, long)>();
        var earliest = long.MaxValue;
        foreach (var (delivery, dueAt) in deliveries)
        {
            var at = dueAt.ToUnixTimeMilliseconds();
            if (at > nearUntil)
            {
                later.Add((delivery, at));
                continue;
            }
            near.Add(at);
            near.Add(delivery.ToMember());
            earliest = Math.Min(earliest, at);
        }
        // Every command goes out before any answer is awaited: one round trip on every publish.
        var writes = new List<Task>();
        if (near.Count > 0)
        {
            // A big fan-out goes in chunks: one script holds Redis, for every process, for as long as it runs (~1-2 µs
            // per member), and other clients' commands are served between chunks.
            foreach (var chunk in near.Chunk(ScheduleChunk * 2))
                writes.Add(Db.ScriptEvaluateAsync(AddDueUnlessScheduledLua, DueKeys, chunk));
            writes.Add(Db.PublishAsync(keys.Wake, earliest));
        }
        if (later.Count > 0)
        {
            var transaction = Db.CreateTransaction();
            writes.AddRange(LaterBuckets.Append(transaction, keys, later));
            writes.Add(transaction.ExecuteAsync());
        }
        await Task.WhenAll(writes);
    }

    public Task ScheduleAsync(QueuedDelivery delivery, DateTimeOffset dueAt) => ScheduleAsync([(delivery, dueAt)]);

    /// <summary>The deliveries among these whose attempt is in flight now (claimed, lease not ended).</summary>
    public async Task<IReadOnlyList<QueuedDelivery>> InFlightAsync(IReadOnlyList<QueuedDelivery> deliveries)
    {
        if (deliveries.Count == 0) return [];
        var scores = await Db.SortedSetScoresAsync(keys.InFlight, deliveries.Select(d => (RedisValue)d.ToMember()).ToArray());
        return deliveries.Where((_, i) => scores[i] is not null).ToList();
    }

    /// <summary>
    /// A manual retry or recovery: makes these deliveries due at <paramref name="dueAt"/> (an earlier score already in
    /// the due set stays), except those in flight, which it leaves alone and answers, and those held under the caps, due
    /// already. A delivery is never in the due set while in flight, and so never claimed, and sent, a second time while
    /// its first attempt runs (its worker reschedules it from Postgres when done). For times within
    /// <see cref="NearHorizon"/> (a retry is due now).
    /// </summary>
    /// <returns>The deliveries not scheduled because an attempt of theirs is in flight.</returns>
    public async Task<IReadOnlyList<QueuedDelivery>> ScheduleUnlessInFlightAsync(IReadOnlyCollection<QueuedDelivery> deliveries, DateTimeOffset dueAt)
    {
        if (deliveries.Count == 0) return [];
        var at = dueAt.ToUnixTimeMilliseconds();
        var args = new RedisValue[deliveries.Count * 2];
        var i = 0;
        foreach (var delivery in deliveries)
        {
            args[i++] = at;
            args[i++] = delivery.ToMember();
        }
        var inFlight = (RedisValue[])(await Db.ScriptEvaluateAsync(AddDueUnlessScheduledLua, DueKeys, args))!;
        if (inFlight.Length < deliveries.Count) await Db.PublishAsync(keys.Wake, at);
        return Array.ConvertAll(inFlight, QueuedDelivery.FromMember);
    }

    /// <summary>
    /// Atomically claims up to <paramref name="max"/> deliveries due at <paramref name="now"/> that the in-flight caps
    /// admit: each takes a slot of its webhook and of its tenant and moves to in-flight until <c>now + lease</c>; those
    /// over a cap looked at meanwhile (at most about <see cref="HoldBatch"/>) are held until a slot frees. First promotes
    /// up to <see cref="PromoteBatch"/> entries of later buckets that start within <see cref="NearHorizon"/> of
    /// <paramref name="now"/> into the due set.
    /// </summary>
    /// <returns>The claimed deliveries: the caller's to read and send, each holding a slot until its ack or reschedule.</returns>
    public async Task<IReadOnlyList<QueuedDelivery>> ClaimDueAsync(DateTimeOffset now, int max, TimeSpan lease) =>
        (await ClaimAsync(now, max, lease)).Deliveries;

    /// <summary><see cref="ClaimDueAsync"/>, answering also when the next claim is due (as <see cref="NextDueAtAsync"/>
    /// would, read in the same script): a Dispatcher's turn is one round trip, not three.</summary>
    public async Task<Claim> ClaimAsync(DateTimeOffset now, int max, TimeSpan lease)
    {
        var promoteUntil = (now + NearHorizon).ToUnixTimeMilliseconds();
        var claimed = new List<QueuedDelivery>();
        var named = Volatile.Read(ref _laterHead).Where(start => start <= promoteUntil).ToArray();
        var budget = (long)PromoteBatch;
        for (var call = 1; ; call++)
        {
            const int fixedKeys = 8, fixedArgs = 9;
            var scriptKeys = new RedisKey[fixedKeys + named.Length];
            (scriptKeys[0], scriptKeys[1], scriptKeys[2], scriptKeys[3]) = (keys.Due, keys.InFlight, keys.Later, keys.Promoting);
            (scriptKeys[4], scriptKeys[5], scriptKeys[6], scriptKeys[7]) = (keys.Busy, keys.Slots, keys.Held, keys.HeldBy);
            var args = new RedisValue[fixedArgs + named.Length];
            (args[0], args[1], args[2], args[3], args[4], args[5]) = (now.ToUnixTimeMilliseconds(), max - claimed.Count,
                (now + lease).ToUnixTimeMilliseconds(), promoteUntil, budget, ClaimScript.IndexHead);
            (args[6], args[7], args[8]) = (_caps.PerWebhook, _caps.PerTenant, HoldBatch);
            for (var i = 0; i < named.Length; i++)
            {
                scriptKeys[fixedKeys + i] = keys.LaterBucket(named[i]);
                args[fixedArgs + i] = named[i];
            }
            var answer = (RedisResult[])(await Db.ScriptEvaluateAsync(ClaimScript.Lua, scriptKeys, args))!;
            claimed.AddRange(Array.ConvertAll((RedisValue[])answer[0]!, QueuedDelivery.FromMember));
            var head = Array.ConvertAll((RedisValue[])answer[1]!, start => (long)start);
            Volatile.Write(ref _laterHead, head);
            budget = (long)answer[2];
            var unnamed = head.Where(start => start <= promoteUntil && !named.Contains(start)).ToArray();
            if (call == 2 || budget <= 0 || unnamed.Length == 0) return new Claim(claimed, NextDueAt((long)answer[3], head));
            named = unnamed;
        }
    }

    public InFlightCaps Caps => _caps;

    /// <summary>The delivery is finished (or handed back to Postgres' care): forget it, and give its slot under the
    /// caps, if it held one, to the next delivery waiting for it.</summary>
    public Task AckAsync(QueuedDelivery delivery) => AckAsync([delivery]);

    /// <summary>Acks many deliveries in one script call, and wakes the Dispatchers once if any slot was granted: a
    /// Dispatcher acks what finished together (<c>DeliveryAcks</c>), since an ack each cost a script call and a
    /// publish per delivery, and woke the claim loop once per grant.</summary>
    public async Task AckAsync(IReadOnlyCollection<QueuedDelivery> deliveries)
    {
        if (deliveries.Count == 0) return;
        if ((long)await Db.ScriptEvaluateAsync(InFlightCaps.ReleaseLua, CapKeys, ReleaseArgs(deliveries)) > 0) await WakeAsync();
    }

    /// <summary>Moves a claimed delivery out of in-flight and back into the schedule at its next attempt time, in the
    /// tier <see cref="ScheduleAsync(IReadOnlyCollection{ValueTuple{QueuedDelivery, DateTimeOffset}})"/> would pick,
    /// freeing its slot under the caps for the next delivery waiting for it.</summary>
    public async Task RescheduleAsync(QueuedDelivery delivery, DateTimeOffset dueAt)
    {
        var at = dueAt.ToUnixTimeMilliseconds();
        // One transaction, so the delivery is never out of in-flight without being scheduled.
        var transaction = Db.CreateTransaction();
        var release = transaction.ScriptEvaluateAsync(InFlightCaps.ReleaseLua, CapKeys, ReleaseArgs([delivery]));
        var writes = new List<Task> { release };
        if (at <= NearUntil())
            writes.Add(transaction.SortedSetAddAsync(keys.Due, delivery.ToMember(), at, SortedSetWhen.LessThan));
        else
            writes.AddRange(LaterBuckets.Append(transaction, keys, [(delivery, at)]));
        writes.Add(transaction.ExecuteAsync());
        await Task.WhenAll(writes);
        if ((long)await release > 0) await WakeAsync();
    }

    /// <summary>
    /// Extends a claim's lease to <paramref name="until"/>, only while that claim still holds it: its in-flight score is
    /// still <paramref name="heldUntil"/>, the lease the claim gave it. A lease that ran out and was reaped (and perhaps
    /// claimed by another Dispatcher, with a lease of its own) is no longer the caller's, and sending it would double
    /// the attempt.
    /// </summary>
    /// <returns>Whether the caller still holds the delivery (now until <paramref name="until"/>).</returns>
    public async Task<bool> RenewLeaseAsync(QueuedDelivery delivery, DateTimeOffset heldUntil, DateTimeOffset until) =>
        (long)await Db.ScriptEvaluateAsync("""
            if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) ~= tonumber(ARGV[2]) then return 0 end
            redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
            return 1
            """, [keys.InFlight], [delivery.ToMember(), heldUntil.ToUnixTimeMilliseconds(), until.ToUnixTimeMilliseconds()]) == 1;

    /// <summary>Returns expired leases (their worker died or stalled) to the due set, due now; a delivery that held a
    /// slot keeps it, so the next claim takes it whatever the caps.</summary>
    public async Task<int> ReapExpiredLeasesAsync(DateTimeOffset now, int max = 1000) =>
        (int)await Db.ScriptEvaluateAsync(ReapScript,
            new { inflight = keys.InFlight, due = keys.Due, slots = keys.Slots, now = now.ToUnixTimeMilliseconds(), max });

    /// <summary>Recounts the caps' counts from the slots held, drops slots lost to a fault and gives every line with
    /// room its slots (<see cref="InFlightCaps.HealLua"/>). O(slots held + lines waiting).</summary>
    /// <returns>Slots dropped, and held deliveries granted a slot.</returns>
    public async Task<(int Dropped, int Granted)> HealCapsAsync()
    {
        var answer = (RedisResult[])(await Db.ScriptEvaluateAsync(InFlightCaps.HealLua, CapKeys, [_caps.PerWebhook, _caps.PerTenant]))!;
        var (dropped, granted) = ((int)answer[0], (int)answer[1]);
        if (granted > 0) await WakeAsync();
        return (dropped, granted);
    }

    /// <summary>Adds deliveries Postgres says are live to the due set unless Redis already has them due, in flight or
    /// held under the caps, so a sweep never doubles a delivery that is being sent or waiting for a slot. Meant for deliveries due within
    /// <see cref="RestoreHorizon"/>: it cannot see later buckets, so a later delivery would be added again.</summary>
    public async Task<int> RestoreAsync(IReadOnlyList<(QueuedDelivery Delivery, DateTimeOffset DueAt)> deliveries)
    {
        if (deliveries.Count == 0) return 0;
        // Members and scores as parallel argument arrays.
        var args = new List<RedisValue>(deliveries.Count * 2);
        args.AddRange(deliveries.Select(d => (RedisValue)d.Delivery.ToMember()));
        args.AddRange(deliveries.Select(d => (RedisValue)d.DueAt.ToUnixTimeMilliseconds()));
        var added = (int)await Db.ScriptEvaluateAsync("""
            local n = #ARGV / 2
            local added = 0
            for i = 1, n do
              if not redis.call('ZSCORE', KEYS[2], ARGV[i]) and redis.call('HEXISTS', KEYS[3], ARGV[i]) == 0 then
                added = added + redis.call('ZADD', KEYS[1], 'NX', ARGV[n + i], ARGV[i])
              end
            end
            return added
            """, [keys.Due, keys.InFlight, keys.HeldBy], args.ToArray());
        if (added > 0) await Db.PublishAsync(keys.Wake, deliveries.Min(d => d.DueAt).ToUnixTimeMilliseconds());
        return added;
    }

    /// <summary>
    /// When the Dispatcher should next claim: the earliest due time in the due set, or earlier, when the first later
    /// bucket is to be promoted (<see cref="NearHorizon"/> before its start; a past time while a large bucket is still
    /// being promoted, a batch per claim). Null when the schedule is empty.
    /// </summary>
    public async Task<DateTimeOffset?> NextDueAtAsync()
    {
        var due = Db.SortedSetRangeByRankWithScoresAsync(keys.Due, 0, 0);
        var later = Db.SortedSetRangeByRankWithScoresAsync(keys.Later, 0, 0);
        return NextDueAt((await due) is [var first] ? (long)first.Score : -1, (await later) is [var bucket] ? [(long)bucket.Score] : []);
    }

    /// <param name="firstDueMs">The due set's earliest score; -1 when it is empty.</param>
    /// <param name="laterHead">The first starts of the later index (a bucket's score is its start).</param>
    private static DateTimeOffset? NextDueAt(long firstDueMs, long[] laterHead)
    {
        DateTimeOffset? next = firstDueMs >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(firstDueMs) : null;
        if (laterHead is [var start, ..])
        {
            var promoteAt = DateTimeOffset.FromUnixTimeMilliseconds(start) - NearHorizon;
            if (next is null || promoteAt < next) next = promoteAt;
        }
        return next;
    }

    /// <summary>The due set for the queue gauges: how many deliveries are due at <paramref name="now"/>, when the
    /// oldest of them came due, and how many wait in the due set for a later time.</summary>
    public async Task<(long DueNow, DateTimeOffset? OldestDueAt, long DueLater)> SampleDueAsync(DateTimeOffset now)
    {
        var dueNow = Db.SortedSetLengthAsync(keys.Due, double.NegativeInfinity, now.ToUnixTimeMilliseconds());
        var all = Db.SortedSetLengthAsync(keys.Due);
        var oldest = Db.SortedSetRangeByRankWithScoresAsync(keys.Due, 0, 0);
        var count = await dueNow;
        return (count, (await oldest) is [var first] ? DateTimeOffset.FromUnixTimeMilliseconds((long)first.Score) : null,
            await all - count);
    }

    /// <summary>How many deliveries wait under the in-flight caps for a slot of their webhook or tenant (held), for
    /// the queue gauge: neither due nor scheduled, they go out as slots free.</summary>
    public Task<long> HeldCountAsync() => Db.SortedSetLengthAsync(keys.Held);

    /// <summary>
    /// How many deliveries wait in later buckets (due beyond <see cref="NearHorizon"/>, mostly retries), for the queue
    /// gauge: each bucket's bytes not yet promoted, over the entry size. One round trip of a STRLEN per bucket (about
    /// sixty per hour of schedule) after reading the index.
    /// </summary>
    public async Task<long> LaterCountAsync()
    {
        var starts = await Db.SortedSetRangeByRankAsync(keys.Later);
        if (starts.Length == 0) return 0;
        var batch = Db.CreateBatch();
        var lengths = starts.Select(start => batch.StringLengthAsync(keys.LaterBucket((long)start))).ToArray();
        var promoted = batch.HashGetAsync(keys.Promoting, starts);
        batch.Execute();
        var offsets = await promoted;
        long entries = 0;
        for (var i = 0; i < starts.Length; i++)
            entries += Math.Max(0, await lengths[i] - (offsets[i].IsNull ? 0 : (long)offsets[i])) / LaterBuckets.EntryBytes;
        return entries;
    }

    /// <summary>The keys of every cap script, in the order <see cref="InFlightCaps"/> expects them.</summary>
    /// <summary>The keys of <see cref="AddDueUnlessScheduledLua"/>.</summary>
    private RedisKey[] DueKeys => [keys.Due, keys.InFlight, keys.HeldBy];

    private RedisKey[] CapKeys => [keys.InFlight, keys.Due, keys.Busy, keys.Slots, keys.Held, keys.HeldBy];

    /// <summary><see cref="InFlightCaps.ReleaseLua"/>'s arguments: the caps, then each member leaving in-flight.</summary>
    private RedisValue[] ReleaseArgs(IReadOnlyCollection<QueuedDelivery> deliveries)
    {
        var args = new RedisValue[2 + deliveries.Count];
        (args[0], args[1]) = (_caps.PerWebhook, _caps.PerTenant);
        var i = 2;
        foreach (var delivery in deliveries) args[i++] = delivery.ToMember();
        return args;
    }

    /// <summary>A held delivery got a slot and is due again: any Dispatcher may claim it (the releasing one would, at
    /// its next claim, but it may be busy).</summary>
    private Task WakeAsync() => Db.PublishAsync(keys.Wake, _time.GetUtcNow().ToUnixTimeMilliseconds());
}
