namespace Webhooks.Core.Queue;

/// <summary>
/// <see cref="DeliveryQueue.ClaimDueAsync"/> in one Lua script, so that it is atomic: two Dispatchers never claim the
/// same id, and a bucket is never half promoted by one and re-read by the other. Promotion comes first, so an entry
/// already due is claimable in the same call. It promotes only the later buckets the caller names (every key a script
/// touches is declared, so it runs on Redis Cluster), reading each from where the last claim stopped (the promoting
/// hash), at most <c>promoteMax</c> entries a call, and deletes the bucket, its index entry and its offset together
/// once done; an APPEND that comes meanwhile lands after the offset and is read in turn. It answers the claimed ids,
/// the first starts of the later index (the buckets to name next time) and the promotion budget left.
/// </summary>
internal static class ClaimScript
{
    /// <summary>Later-index starts the script answers, hence at most the buckets one claim can name.</summary>
    public const int IndexHead = 4;

    // KEYS: due, inflight, later, promoting, then the later buckets to promote.
    // ARGV: now, max, leaseUntil, promoteUntil, promoteMax, IndexHead, then the starts of those buckets, in order.
    public static readonly string Lua = $$"""
        local budget = tonumber(ARGV[5])
        for k = 5, #KEYS do
          if budget <= 0 then break end
          local bucket, start = KEYS[k], ARGV[k + 2]
          -- Named from an earlier answer: another Dispatcher may have finished the bucket since.
          local score = redis.call('ZSCORE', KEYS[3], start)
          if score and tonumber(score) <= tonumber(ARGV[4]) then
            local from = tonumber(redis.call('HGET', KEYS[4], start) or 0)
            local chunk = redis.call('GETRANGE', bucket, from, from + budget * {{LaterBuckets.EntryBytes}} - 1)
            local n = math.floor(#chunk / {{LaterBuckets.EntryBytes}})
            if n > 0 then
              -- An entry: the 16-byte id, then the due time as a little-endian int64.
              local ids = {}
              for i = 1, n do
                local at = (i - 1) * {{LaterBuckets.EntryBytes}}
                ids[i] = string.sub(chunk, at + 1, at + 16)
              end
              -- An id in flight is being sent; its worker reschedules it from Postgres, so a second claim would only
              -- double the send.
              local leased = redis.call('ZMSCORE', KEYS[2], unpack(ids))
              local adds, m = {}, 0
              for i = 1, n do
                if not leased[i] then
                  adds[m + 1] = struct.unpack('<i8', chunk, (i - 1) * {{LaterBuckets.EntryBytes}} + 17)
                  adds[m + 2] = ids[i]
                  m = m + 2
                end
              end
              -- LT: an id already due earlier keeps its time.
              if m > 0 then redis.call('ZADD', KEYS[1], 'LT', unpack(adds)) end
              budget = budget - n
            end
            if n == 0 or from + n * {{LaterBuckets.EntryBytes}} >= redis.call('STRLEN', bucket) then
              redis.call('DEL', bucket)
              redis.call('ZREM', KEYS[3], start)
              redis.call('HDEL', KEYS[4], start)
            else
              redis.call('HSET', KEYS[4], start, from + n * {{LaterBuckets.EntryBytes}})
            end
          end
        end

        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
        if #ids > 0 then
          for _, id in ipairs(ids) do redis.call('ZADD', KEYS[2], ARGV[3], id) end
          redis.call('ZREM', KEYS[1], unpack(ids))
        end
        return {ids, redis.call('ZRANGE', KEYS[3], 0, tonumber(ARGV[6]) - 1), budget}
        """;
}
