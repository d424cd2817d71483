using Webhooks.Core.Options;

namespace Webhooks.Core.Queue;

/// <summary>
/// The in-flight caps (<c>Webhooks:Delivery:MaxInFlightPerWebhook</c> / <c>MaxInFlightPerTenant</c>), held in Redis
/// for all Dispatchers together, and the Lua that keeps them. A schedule member names the delivery's webhook and tenant
/// (<see cref="QueuedDelivery"/>), so the claim script decides before anything is read from Postgres: a due delivery
/// under both caps is claimed and takes a slot of its webhook and of its tenant; one over a cap is held (it leaves the
/// due set and waits in its webhook's or tenant's line, oldest due first, holding neither a send slot, a connection nor
/// a Postgres read). A slot freed by an ack or a reschedule goes to the oldest delivery waiting for it, which moves back
/// to the due set, keeping the slot, so the next claim sends it. See <see cref="DeliveryQueue"/> for the keys and the
/// whole life cycle.
/// </summary>
/// <param name="PerWebhook">Slots of one webhook across all Dispatchers.</param>
/// <param name="PerTenant">Slots of one tenant (all its webhooks) across all Dispatchers.</param>
public sealed record InFlightCaps(int PerWebhook, int PerTenant)
{
    /// <summary>For tools and tests that schedule and claim without the Dispatcher's options.</summary>
    public static readonly InFlightCaps Default = From(new DeliveryOptions());

    public static InFlightCaps From(DeliveryOptions options) => new(options.MaxInFlightPerWebhook, options.MaxInFlightPerTenant);

    /// <summary>
    /// The functions every cap script shares (the claim's too). A script declares first, as locals, the keys
    /// <c>inflight, due, busy, slots, held, heldby</c>, the caps <c>capW, capT</c>, and <c>holding</c>: whether anything
    /// is held (when nothing is, the lines are not looked at).
    /// <list type="bullet">
    /// <item>A member (of due, inflight, slots; a key of heldby) is delivery id, webhook id, tenant id: 16 raw bytes each.</item>
    /// <item>busy counts slots: field <c>w</c> + webhook id, and <c>t</c> + tenant id (deleted at 0). A delivery holds a
    /// slot while it is in flight, and while it is due again with one (granted one, or its lease reaped): those are in
    /// slots, so the next claim takes them whatever the caps.</item>
    /// <item>A member of held is 57 bytes, all scored 0 and ordered by their bytes: <c>w</c> + webhook id + due ms
    /// (int64 big-endian, so byte order is due order) + delivery id + tenant id in a webhook's line, or <c>t</c> +
    /// tenant id + due ms + delivery id + webhook id in a tenant's line; <c>ZRANGEBYLEX held [w{id} (w{id}\xff LIMIT 0 1</c>
    /// is a line's oldest, in O(log N).</item>
    /// <item>heldby: member → its line's kind (<c>w</c> or <c>t</c>) + due ms (9 bytes), from which its member of held
    /// is made again.</item>
    /// </list>
    /// Counts are cached for the script's run: a claim meets the same webhook and tenant again and again.
    /// </summary>
    internal const string Functions = """
        local counts = {}
        local function count(field)
          local c = counts[field]
          if c == nil then
            c = tonumber(redis.call('HGET', busy, field) or 0)
            counts[field] = c
          end
          return c
        end
        local function add(field, n)
          local c = redis.call('HINCRBY', busy, field, n)
          if c <= 0 then
            redis.call('HDEL', busy, field)
            c = 0
          end
          counts[field] = c
        end
        local function occupy(m, n)
          add('w' .. string.sub(m, 17, 32), n)
          add('t' .. string.sub(m, 33, 48), n)
        end
        local function line(kind, m, at)
          local id, w, t = string.sub(m, 1, 16), string.sub(m, 17, 32), string.sub(m, 33, 48)
          if kind == 'w' then return 'w' .. w .. struct.pack('>i8', at) .. id .. t end
          return 't' .. t .. struct.pack('>i8', at) .. id .. w
        end
        -- A member of held → the delivery's member and due time.
        local function waiting(h)
          local id, other = string.sub(h, 26, 41), string.sub(h, 42, 57)
          local at = struct.unpack('>i8', h, 18)
          if string.sub(h, 1, 1) == 'w' then return id .. string.sub(h, 2, 17) .. other, at end
          return id .. other .. string.sub(h, 2, 17), at
        end
        local function first(l)
          if not holding then return nil end
          return redis.call('ZRANGEBYLEX', held, '[' .. l, '(' .. l .. '\255', 'LIMIT', 0, 1)[1]
        end
        local function hold(kind, m, at)
          redis.call('ZADD', held, 0, line(kind, m, at))
          redis.call('HSET', heldby, m, kind .. struct.pack('>i8', at))
          holding = true
        end
        -- Takes m out of its line if it is held; answers the due time it waited with, or nil.
        local function unhold(m)
          if not holding then return nil end
          local v = redis.call('HGET', heldby, m)
          if not v then return nil end
          local at = struct.unpack('>i8', v, 2)
          redis.call('ZREM', held, line(string.sub(v, 1, 1), m, at))
          redis.call('HDEL', heldby, m)
          return at
        end
        -- A slot of webhook w and tenant t is free: the oldest delivery waiting in w's line or t's line takes it and
        -- goes back to due (at its own, past, due time), in slots. One from t's line whose own webhook has filled
        -- meanwhile moves to that webhook's line instead (still in due order), and the next in line is tried.
        local function grant(w, t)
          for _ = 1, 16 do
            if count('t' .. t) >= capT then return 0 end
            local a
            if count('w' .. w) < capW then a = first('w' .. w) end
            local b = first('t' .. t)
            local h = a
            if b and (not a or struct.unpack('>i8', b, 18) < struct.unpack('>i8', a, 18)) then h = b end
            if not h then return 0 end
            local m, at = waiting(h)
            redis.call('ZREM', held, h)
            redis.call('HDEL', heldby, m)
            if count('w' .. string.sub(m, 17, 32)) >= capW then
              hold('w', m, at)
            else
              occupy(m, 1)
              redis.call('SADD', slots, m)
              redis.call('ZADD', due, 'LT', at, m)
              return 1
            end
          end
          return 0
        end
        -- The claim's gate for a due delivery m (due at at), not in flight: true when it may be sent now, holding a slot
        -- (one granted to it, or kept when its lease was reaped, which goes with it into flight; or one it takes under
        -- both caps). Otherwise it is held: in its webhook's line when the webhook is full or older ones of it wait, else
        -- in its tenant's. A new delivery is held while older ones of its webhook or tenant wait, so a line keeps its
        -- order; and room found beside a waiting line (the caps were raised, or counts were healed) goes to the oldest
        -- in it, as much as there is.
        local function admit(m, at)
          if redis.call('SREM', slots, m) == 1 then return true end
          -- Held, and due again (a manual retry; a stale later-bucket entry): it keeps its place in line.
          local was = unhold(m)
          if was and was < at then at = was end
          local w, t = string.sub(m, 17, 32), string.sub(m, 33, 48)
          local wFull, tFull = count('w' .. w) >= capW, count('t' .. t) >= capT
          if wFull then
            hold('w', m, at)
          elseif first('w' .. w) then
            hold('w', m, at)
            if not tFull then while grant(w, t) == 1 do end end
          elseif tFull then
            hold('t', m, at)
          elseif first('t' .. t) then
            hold('t', m, at)
            while grant(w, t) == 1 do end
          else
            occupy(m, 1)
            return true
          end
          return false
        end

        """;

    /// <summary>KEYS: inflight, due, busy, slots, held, heldby (<see cref="Functions"/>). ARGV[1], ARGV[2]: the caps.</summary>
    private const string Declarations = """
        local inflight, due, busy, slots, held, heldby = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
        local capW, capT = tonumber(ARGV[1]), tonumber(ARGV[2])
        local holding = redis.call('EXISTS', held) == 1

        """;

    /// <summary>ARGV[3], ARGV[4], …: members leaving in-flight (ack, reschedule, hand-back). Only when this call removed
    /// one from in-flight does its slot go to the next in line (a reaped one keeps its slot in due). Answers how many
    /// held deliveries got a slot.</summary>
    public const string ReleaseLua = Declarations + Functions + """
        local granted = 0
        for i = 3, #ARGV do
          local m = ARGV[i]
          if redis.call('ZREM', inflight, m) == 1 then
            occupy(m, -1)
            granted = granted + grant(string.sub(m, 17, 32), string.sub(m, 33, 48))
          end
        end
        return granted
        """;

    /// <summary>
    /// Self-healing, run by the lease reaper now and then: the counts are recounted from what holds a slot (in flight,
    /// and the slots of deliveries due again; at most the Dispatchers' concurrency plus the slots granted and not yet
    /// claimed), dropping a slot whose delivery is no longer due (a fault between commands; a FLUSHALL clears all of it
    /// together); then every line with room (counts healed, or caps raised) gets its slots. Answers {dropped, granted}:
    /// webhook slots the counts had beyond those held, and held deliveries given one.
    /// </summary>
    public const string HealLua = Declarations + Functions + """
        local before, after = 0, 0
        local old = redis.call('HGETALL', busy)
        for i = 1, #old, 2 do
          if string.sub(old[i], 1, 1) == 'w' then before = before + tonumber(old[i + 1]) end
        end
        redis.call('DEL', busy)
        counts = {}
        for _, m in ipairs(redis.call('ZRANGE', inflight, 0, -1)) do occupy(m, 1) end
        for _, m in ipairs(redis.call('SMEMBERS', slots)) do
          if redis.call('ZSCORE', due, m) and not redis.call('ZSCORE', inflight, m) then occupy(m, 1)
          else redis.call('SREM', slots, m) end
        end
        for field, n in pairs(counts) do
          if string.sub(field, 1, 1) == 'w' then after = after + n end
        end
        local from, granted = '-', 0
        for _ = 1, 1000 do
          local h = redis.call('ZRANGEBYLEX', held, from, '+', 'LIMIT', 0, 1)[1]
          if not h then break end
          local m = waiting(h)
          local g = grant(string.sub(m, 17, 32), string.sub(m, 33, 48))
          granted = granted + g
          if g == 0 then from = '(' .. string.sub(h, 1, 17) .. '\255' end
        end
        return {math.max(before - after, 0), granted}
        """;
}
