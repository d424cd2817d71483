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
    /// <c>inflight, due, busy, slots, held, heldby</c> and the caps <c>capW, capT</c>.
    /// <list type="bullet">
    /// <item>A member (of due, inflight, slots; a key of heldby) is delivery id, webhook id, tenant id: 16 raw bytes each.</item>
    /// <item>busy counts slots: field <c>w</c> + webhook id, and <c>t</c> + tenant id (deleted at 0).</item>
    /// <item>A member of held is 57 bytes, all scored 0 and ordered by their bytes: <c>w</c> + webhook id + due ms
    /// (int64 big-endian, so byte order is due order) + delivery id + tenant id in a webhook's line, or <c>t</c> +
    /// tenant id + due ms + delivery id + webhook id in a tenant's line; <c>ZRANGEBYLEX held [w{id} (w{id}\xff LIMIT 0 1</c>
    /// is a line's oldest, in O(log N).</item>
    /// <item>heldby: member → its line's kind (<c>w</c> or <c>t</c>) + due ms (9 bytes), from which its member of held
    /// is made again.</item>
    /// </list>
    /// </summary>
    internal const string Functions = """
        local function count(field) return tonumber(redis.call('HGET', busy, field) or 0) end
        local function add(field, n)
          if redis.call('HINCRBY', busy, field, n) <= 0 then redis.call('HDEL', busy, field) end
        end
        local function take(m)
          redis.call('SADD', slots, m)
          add('w' .. string.sub(m, 17, 32), 1)
          add('t' .. string.sub(m, 33, 48), 1)
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
          return redis.call('ZRANGEBYLEX', held, '[' .. l, '(' .. l .. '\255', 'LIMIT', 0, 1)[1]
        end
        local function hold(kind, m, at)
          redis.call('ZADD', held, 0, line(kind, m, at))
          redis.call('HSET', heldby, m, kind .. struct.pack('>i8', at))
        end
        -- Takes m out of its line if it is held; answers the due time it waited with, or nil.
        local function unhold(m)
          local v = redis.call('HGET', heldby, m)
          if not v then return nil end
          local at = struct.unpack('>i8', v, 2)
          redis.call('ZREM', held, line(string.sub(v, 1, 1), m, at))
          redis.call('HDEL', heldby, m)
          return at
        end
        -- A slot of webhook w and tenant t is free: the oldest delivery waiting in w's line or t's line takes it and
        -- goes back to due (at its own, past, due time). One from t's line whose own webhook has filled meanwhile
        -- moves to that webhook's line instead (still in due order), and the next in line is tried.
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
              take(m)
              redis.call('ZADD', due, 'LT', at, m)
              return 1
            end
          end
          return 0
        end
        -- The claim's gate for a due delivery m (due at at), not in flight: true when it may be sent now, holding a slot
        -- (one granted to it, or kept when its lease was reaped; or one it takes under both caps). Otherwise it is held:
        -- in its webhook's line when the webhook is full or older ones of it wait, else in its tenant's. A new delivery
        -- is held while older ones of its webhook or tenant wait, so a line keeps its order; and room found beside a
        -- waiting line (the caps were raised, or counts were healed) goes to the oldest in it, as much as there is.
        local function admit(m, at)
          if redis.call('SISMEMBER', slots, m) == 1 then return true end
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
            take(m)
            return true
          end
          return false
        end

        """;

    /// <summary>KEYS: inflight, due, busy, slots, held, heldby (<see cref="Functions"/>). ARGV[1], ARGV[2]: the caps.</summary>
    private const string Declarations = """
        local inflight, due, busy, slots, held, heldby = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
        local capW, capT = tonumber(ARGV[1]), tonumber(ARGV[2])

        """;

    /// <summary>ARGV[3]: a member leaving in-flight (ack, reschedule, hand-back). Only when this call removed it from
    /// in-flight does its slot, if it held one, go to the next in line. Answers 1 when a held delivery got it.</summary>
    public const string ReleaseLua = Declarations + Functions + """
        local m = ARGV[3]
        if redis.call('ZREM', inflight, m) == 0 then return 0 end
        if redis.call('SREM', slots, m) == 0 then return 0 end
        local w, t = string.sub(m, 17, 32), string.sub(m, 33, 48)
        add('w' .. w, -1)
        add('t' .. t, -1)
        return grant(w, t)
        """;

    /// <summary>
    /// Self-healing, run by the lease reaper now and then: a slot whose delivery is neither in flight nor due was lost
    /// (a fault between commands; a FLUSHALL clears all of it together) and is dropped; the counts are recounted from
    /// the slots (at most the Dispatchers' concurrency plus the slots granted and not yet claimed); then every line
    /// with room (counts healed, or caps raised) gets its slots. Answers {dropped, granted}.
    /// </summary>
    public const string HealLua = Declarations + Functions + """
        local all = redis.call('SMEMBERS', slots)
        redis.call('DEL', busy)
        local dropped = 0
        for _, m in ipairs(all) do
          if redis.call('ZSCORE', inflight, m) or redis.call('ZSCORE', due, m) then
            add('w' .. string.sub(m, 17, 32), 1)
            add('t' .. string.sub(m, 33, 48), 1)
          else
            redis.call('SREM', slots, m)
            dropped = dropped + 1
          end
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
        return {dropped, granted}
        """;
}
