namespace Webhooks.Core.Queue;

/// <summary>
/// <see cref="DeliveryQueue.ClaimDueAsync"/> in one Lua script, so that it is atomic: two Dispatchers never claim the
/// same delivery nor take the same slot, and a bucket is never half promoted by one and re-read by the other.
/// Promotion comes first, so an entry already due is claimable in the same call. It promotes only the later buckets the
/// caller names (every key a script touches is declared, so it runs on Redis Cluster), reading each from where the last
/// claim stopped (the promoting hash), at most <c>promoteMax</c> entries a call, and deletes the bucket, its index entry
/// and its offset together once done; an APPEND that comes meanwhile lands after the offset and is read in turn.
/// Then it takes due deliveries in due order through the in-flight caps (<see cref="InFlightCaps.Functions"/>): each
/// one looked at leaves the due set, to in-flight (claimed, holding a slot) or to its line in held, so no claim looks
/// at it again until a slot is granted to it; one already in flight (a stale earlier score) is dropped. It stops once
/// <c>max</c> are claimed or <c>holdMax</c> were held. It answers the claimed members, the first starts of the later
/// index (the buckets to name next time), the promotion budget left and the due set's earliest score (-1 when empty).
/// </summary>
internal static class ClaimScript
{
    /// <summary>Later-index starts the script answers, hence at most the buckets one claim can name.</summary>
    public const int IndexHead = 4;

    private const int Entry = LaterBuckets.EntryBytes;
    private const int Member = QueuedDelivery.MemberBytes;

    /// <summary>Due deliveries taken per look at the due set at most: bounds what one call unpacks.</summary>
    private const int LookBatch = 200;

    // KEYS: due, inflight, later, promoting, busy, slots, held, heldby, then the later buckets to promote.
    // ARGV: now, max, leaseUntil, promoteUntil, promoteMax, IndexHead, capW, capT, holdMax, then the starts of those
    // buckets, in order.
    public static readonly string Lua = $$"""
        local due, inflight, later, promoting = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
        local busy, slots, held, heldby = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
        local now, max, leaseUntil, promoteUntil = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
        local budget, capW, capT, holdMax = tonumber(ARGV[5]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
        local holding = redis.call('EXISTS', held) == 1
        {{InFlightCaps.Functions}}
        for k = 9, #KEYS do
          if budget <= 0 then break end
          local bucket, start = KEYS[k], ARGV[k + 1]
          local startMs = tonumber(start)
          -- Named from an earlier answer: another Dispatcher may have finished the bucket since.
          local score = redis.call('ZSCORE', later, start)
          if score and tonumber(score) <= promoteUntil then
            local from = tonumber(redis.call('HGET', promoting, start) or 0)
            local chunk = redis.call('GETRANGE', bucket, from, from + budget * {{Entry}} - 1)
            local n = math.floor(#chunk / {{Entry}})
            if n > 0 then
              -- An entry: the {{Member}}-byte member, then the due time as ms after the bucket's start (uint32 LE).
              local ms = {}
              for i = 1, n do
                local at = (i - 1) * {{Entry}}
                ms[i] = string.sub(chunk, at + 1, at + {{Member}})
              end
              -- A delivery in flight is being sent; its worker reschedules it from Postgres, so a second claim would
              -- only double the send.
              local leased = redis.call('ZMSCORE', inflight, unpack(ms))
              local adds, a = {}, 0
              for i = 1, n do
                if not leased[i] then
                  adds[a + 1] = startMs + struct.unpack('<I4', chunk, (i - 1) * {{Entry}} + {{Member + 1}})
                  adds[a + 2] = ms[i]
                  a = a + 2
                end
              end
              -- LT: a delivery already due earlier keeps its time.
              if a > 0 then redis.call('ZADD', due, 'LT', unpack(adds)) end
              budget = budget - n
            end
            if n == 0 or from + n * {{Entry}} >= redis.call('STRLEN', bucket) then
              redis.call('DEL', bucket)
              redis.call('ZREM', later, start)
              redis.call('HDEL', promoting, start)
            else
              redis.call('HSET', promoting, start, from + n * {{Entry}})
            end
          end
        end

        local claimed, holds = {}, 0
        while #claimed < max and holds < holdMax do
          local batch = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'WITHSCORES', 'LIMIT', 0,
            math.min(max - #claimed, {{LookBatch}}))
          if #batch == 0 then break end
          local ms = {}
          for i = 1, #batch, 2 do ms[#ms + 1] = batch[i] end
          redis.call('ZREM', due, unpack(ms))
          local leased = redis.call('ZMSCORE', inflight, unpack(ms))
          local leases, n = {}, 0
          for j, m in ipairs(ms) do
            if leased[j] then
              -- Already claimed (a stale earlier score): its worker acks or reschedules it, and a second claim would
              -- send the same attempt twice at once.
            elseif admit(m, tonumber(batch[2 * j])) then
              leases[n + 1] = leaseUntil
              leases[n + 2] = m
              n = n + 2
              claimed[#claimed + 1] = m
            else
              holds = holds + 1
            end
          end
          if n > 0 then redis.call('ZADD', inflight, unpack(leases)) end
        end
        -- The due set's earliest score, so the caller knows when to claim next without another round trip.
        local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
        return {claimed, redis.call('ZRANGE', later, 0, tonumber(ARGV[6]) - 1), budget, first[2] or -1}
        """;
}
