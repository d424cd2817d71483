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
        Wake = RedisChannel.Literal(Tag + ":wake");
        LaterBucketPrefix = Tag + ":later:";
    }

    /// <summary>The hash tag, <c>{prefix}</c>, that starts every key.</summary>
    public string Tag { get; }

    public RedisKey Due { get; }
    public RedisKey InFlight { get; }
    public RedisKey Later { get; }
    public RedisKey Promoting { get; }
    public RedisChannel Wake { get; }
    public string LaterBucketPrefix { get; }

    /// <summary>The later bucket of deliveries due in [start, start + 1 min).</summary>
    public RedisKey LaterBucket(long start) => LaterBucketPrefix + start.ToString(CultureInfo.InvariantCulture);
}
