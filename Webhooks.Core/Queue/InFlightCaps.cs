using Webhooks.Core.Options;

namespace Webhooks.Core.Queue;

/// <summary>
/// The in-flight caps (<c>Webhooks:Delivery:MaxInFlightPerWebhook</c> / <c>MaxInFlightPerTenant</c>), held in Redis
/// for all Dispatchers together, and the Lua that keeps them. A claimed delivery about to be sent is admitted (it takes
/// a slot of its webhook and of its tenant) or held (it leaves in-flight and waits in its webhook's or tenant's line,
/// oldest due first, holding neither a send slot nor a connection). A slot freed by an ack or a reschedule goes to the
/// oldest delivery waiting for it, which moves back to the due set, keeping the slot, so the next claim sends it.
/// See <see cref="DeliveryQueue"/> for the keys and the whole life cycle.
/// </summary>
/// <param name="PerWebhook">Slots of one webhook across all Dispatchers.</param>
/// <param name="PerTenant">Slots of one tenant (all its webhooks) across all Dispatchers.</param>
public sealed record InFlightCaps(int PerWebhook, int PerTenant)
{
    /// <summary>For tools and tests that schedule and claim without the Dispatcher's options.</summary>
    public static readonly InFlightCaps Default = From(new DeliveryOptions());

    public static InFlightCaps From(DeliveryOptions options) => new(options.MaxInFlightPerWebhook, options.MaxInFlightPerTenant);

    /// <summary>
    /// Shared by the cap scripts. KEYS: inflight, due, busy, slots, held, heldby. ARGV[1], ARGV[2]: the caps.
    /// A held member is 57 bytes: <c>w</c> + webhook id + due ms (int64 big-endian, so lex order is due order) +
    /// delivery id + tenant id in a webhook's line, or <c>t</c> + tenant id + due ms + delivery id + webhook id in a
    /// tenant's line; <c>ZRANGEBYLEX held [w{id} (w{id}\xff LIMIT 0 1</c> is a line's oldest, in O(log N).
    /// </summary>
    private const string Prelude = """
        local inflight, due, busy, slots, held, heldby = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
        local capW, capT = tonumber(ARGV[1]), tonumber(ARGV[2])
        local function count(field) return tonumber(redis.call('HGET', busy, field) or 0) end
        local function add(field, n)
          if redis.call('HINCRBY', busy, field, n) <= 0 then redis.call('HDEL', busy, field) end
        end
        local function take(id, w, t)
          redis.call('HSET', slots, id, w .. t)
          add('w' .. w, 1)
          add('t' .. t, 1)
        end
        local function first(line)
          return redis.call('ZRANGEBYLEX', held, '[' .. line, '(' .. line .. '\255', 'LIMIT', 0, 1)[1]
        end
        local function hold(kind, w, t, at, id)
          local m
          if kind == 'w' then m = 'w' .. w .. struct.pack('>i8', at) .. id .. t
          else m = 't' .. t .. struct.pack('>i8', at) .. id .. w end
          redis.call('ZADD', held, 0, m)
          redis.call('HSET', heldby, id, m)
        end
        local function unhold(id)
          local m = redis.call('HGET', heldby, id)
          if m then
            redis.call('ZREM', held, m)
            redis.call('HDEL', heldby, id)
          end
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
            local m = a
            if b and (not a or struct.unpack('>i8', b, 18) < struct.unpack('>i8', a, 18)) then m = b end
            if not m then return 0 end
            local id, at = string.sub(m, 26, 41), struct.unpack('>i8', m, 18)
            local mw = w
            if string.sub(m, 1, 1) == 't' then mw = string.sub(m, 42, 57) end
            unhold(id)
            if count('w' .. mw) >= capW then
              hold('w', mw, t, at, id)
            else
              take(id, mw, t)
              redis.call('ZADD', due, 'LT', at, id)
              return 1
            end
          end
          return 0
        end

        """;

    /// <summary>ARGV[3..]: per delivery its id, webhook id, tenant id and due time (unix ms). Answers the ids admitted:
    /// each holds a slot and is the caller's to send. The others are held (out of in-flight), or were no longer in
    /// flight (reaped meanwhile: due again, for the next claim). A delivery that a release gave a slot to keeps it; a
    /// new one is held while older ones of its webhook or tenant wait, so a line keeps its order.</summary>
    public const string AdmitLua = Prelude + """
        local admitted = {}
        for i = 3, #ARGV, 4 do
          local id, w, t, at = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
          unhold(id)
          if redis.call('HEXISTS', slots, id) == 1 then
            admitted[#admitted + 1] = id
          elseif redis.call('ZSCORE', inflight, id) then
            local wFull, tFull = count('w' .. w) >= capW, count('t' .. t) >= capT
            local wLine, tLine = first('w' .. w), first('t' .. t)
            if not wFull and not tFull and not wLine and not tLine then
              take(id, w, t)
              admitted[#admitted + 1] = id
            else
              if wFull or wLine then hold('w', w, t, at, id) else hold('t', w, t, at, id) end
              redis.call('ZREM', inflight, id)
              -- Room, but older deliveries wait (the caps were raised, or counts were healed): the oldest takes it.
              if not wFull and not tFull then grant(w, t) end
            end
          end
        end
        return admitted
        """;

    /// <summary>ARGV[3]: a delivery id leaving in-flight (ack, reschedule, hand-back). Only when this call removed it
    /// from in-flight does its slot, if it held one, go to the next in line. Answers 1 when a held delivery got it.</summary>
    public const string ReleaseLua = Prelude + """
        local id = ARGV[3]
        if redis.call('ZREM', inflight, id) == 0 then return 0 end
        local owner = redis.call('HGET', slots, id)
        if not owner then return 0 end
        redis.call('HDEL', slots, id)
        local w, t = string.sub(owner, 1, 16), string.sub(owner, 17, 32)
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
    public const string HealLua = Prelude + """
        local all = redis.call('HGETALL', slots)
        redis.call('DEL', busy)
        local dropped = 0
        for i = 1, #all, 2 do
          local id, owner = all[i], all[i + 1]
          if redis.call('ZSCORE', inflight, id) or redis.call('ZSCORE', due, id) then
            add('w' .. string.sub(owner, 1, 16), 1)
            add('t' .. string.sub(owner, 17, 32), 1)
          else
            redis.call('HDEL', slots, id)
            dropped = dropped + 1
          end
        end
        local from, granted = '-', 0
        for _ = 1, 1000 do
          local m = redis.call('ZRANGEBYLEX', held, from, '+', 'LIMIT', 0, 1)[1]
          if not m then break end
          local w, t
          if string.sub(m, 1, 1) == 'w' then w, t = string.sub(m, 2, 17), string.sub(m, 42, 57)
          else t, w = string.sub(m, 2, 17), string.sub(m, 42, 57) end
          local g = grant(w, t)
          granted = granted + g
          if g == 0 then from = '(' .. string.sub(m, 1, 17) .. '\255' end
        end
        return {dropped, granted}
        """;
}
