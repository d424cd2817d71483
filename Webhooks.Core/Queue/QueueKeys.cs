using System.Globalization;
using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// The names of the schedule's Redis keys, built from <c>Webhooks:Redis:KeyPrefix</c> (see
/// <see cref="Options.RedisOptions"/>) with one hash tag, <c>{prefix}</c>: every key hashes to the same Redis Cluster
/// slot, so the scripts and transactions that touch several of them run on a cluster as on a single server.
/// </summary>
public sealed class QueueKeys
{
    public QueueKeys(string prefix)
    {
        Tag = $"{{{prefix}}}";
        Due = Tag + ":due";
        InFlight = Tag + ":inflight";
        Later = Tag + ":later";
        Promoting = Tag + ":promoting";
        Busy = Tag + ":busy";
        Slots = Tag + ":slots";
        Held = Tag + ":held";
        HeldBy = Tag + ":heldby";
        Wake = RedisChannel.Literal(Tag + ":wake");
        LaterBucketPrefix = Tag + ":later:";
    }

    /// <summary>The hash tag, <c>{prefix}</c>, that starts every key.</summary>
    public string Tag { get; }

    public RedisKey Due { get; }
    public RedisKey InFlight { get; }
    public RedisKey Later { get; }
    public RedisKey Promoting { get; }

    /// <summary>In-flight caps (see <see cref="InFlightCaps"/>): counts per webhook and tenant.</summary>
    public RedisKey Busy { get; }

    /// <summary>Deliveries holding a slot under the caps: delivery id → webhook id and tenant id.</summary>
    public RedisKey Slots { get; }

    /// <summary>Deliveries waiting for a slot, in one lex-ordered line per webhook or tenant.</summary>
    public RedisKey Held { get; }

    /// <summary>A held delivery's member of <see cref="Held"/>, by delivery id.</summary>
    public RedisKey HeldBy { get; }
    public RedisChannel Wake { get; }
    public string LaterBucketPrefix { get; }

    /// <summary>The later bucket of deliveries due in [start, start + 1 min).</summary>
    public RedisKey LaterBucket(long start) => LaterBucketPrefix + start.ToString(CultureInfo.InvariantCulture);
}
