using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// <see cref="DeliveryQueue.ClaimDueAsync"/> in one Lua script, so that it is atomic: two Dispatchers never claim the
/// same id, and a bucket is never half promoted by one and re-read by the other. Promotion comes first, so an entry
/// already due is claimable in the same call. It reads each bucket from where the last claim stopped
/// (<c>webhooks:promoting</c>), at most <c>promoteMax</c> entries a call, and deletes the bucket, its index entry and
/// its offset together once done; an APPEND that comes meanwhile lands after the offset and is read in turn.
/// </summary>
internal static class ClaimScript
{
    public static readonly LuaScript Script = LuaScript.Prepare($$"""
        local budget = tonumber(@promoteMax)
        while budget > 0 do
          local starts = redis.call('ZRANGEBYSCORE', @later, '-inf', @promoteUntil, 'LIMIT', 0, 1)
          if #starts == 0 then break end
          local start = starts[1]
          local bucket = @bucketPrefix .. start
          local from = tonumber(redis.call('HGET', @promoting, start) or 0)
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
            local leased = redis.call('ZMSCORE', @inflight, unpack(ids))
            local adds, k = {}, 0
            for i = 1, n do
              if not leased[i] then
                adds[k + 1] = struct.unpack('<i8', chunk, (i - 1) * {{LaterBuckets.EntryBytes}} + 17)
                adds[k + 2] = ids[i]
                k = k + 2
              end
            end
            -- LT: an id already due earlier keeps its time.
            if k > 0 then redis.call('ZADD', @due, 'LT', unpack(adds)) end
            budget = budget - n
          end
          if n == 0 or from + n * {{LaterBuckets.EntryBytes}} >= redis.call('STRLEN', bucket) then
            redis.call('DEL', bucket)
            redis.call('ZREM', @later, start)
            redis.call('HDEL', @promoting, start)
          else
            redis.call('HSET', @promoting, start, from + n * {{LaterBuckets.EntryBytes}})
          end
        end

        local ids = redis.call('ZRANGEBYSCORE', @due, '-inf', @now, 'LIMIT', 0, @max)
        if #ids > 0 then
          for _, id in ipairs(ids) do redis.call('ZADD', @inflight, @leaseUntil, id) end
          redis.call('ZREM', @due, unpack(ids))
        end
        return ids
        """);
}
