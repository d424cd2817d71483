using System.Globalization;
using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// The names of the schedule's Redis keys, built from <c>Webhooks:Redis:KeyPrefix</c> (see
/// <see cref="Options.RedisOptions"/>) with one hash tag, <c>{prefix}</c>: every key hashes to the same Redis Cluster
/// slot, so the scripts and transactions that touch several of them run on a cluster as on a single server.
/// </summary>
/// <remarks>
/// The schedule's keys carry the layout of their members, <see cref="Layout"/>: a version that reads members of another
/// layout would take them apart wrongly, so a new layout gets new key names, and the keys of the old one are simply
/// never read again (see the README, "Upgrading"). The wake channel carries only a time, the same in every layout.
/// </remarks>
public sealed class QueueKeys
{
    /// <summary>
    /// The members' layout, the segment after the hash tag. <c>v2</c>: a member is a delivery's id, webhook id and tenant
    /// id (48 bytes; <see cref="QueuedDelivery"/>), a later-bucket entry a member and its due time (52 bytes). The keys
    /// without a segment (<c>{webhooks}:due</c> …) were the first layout: delivery ids alone (16 bytes, entries 24).
    /// </summary>
    public const string Layout = "v2";

    public QueueKeys(string prefix)
    {
        Tag = $"{{{prefix}}}";
        var schedule = $"{Tag}:{Layout}:";
        Due = schedule + "due";
        InFlight = schedule + "inflight";
        Later = schedule + "later";
        Promoting = schedule + "promoting";
        Busy = schedule + "busy";
        Slots = schedule + "slots";
        Held = schedule + "held";
        HeldBy = schedule + "heldby";
        Wake = RedisChannel.Literal(Tag + ":wake");
        LaterBucketPrefix = schedule + "later:";
    }

    /// <summary>The hash tag, <c>{prefix}</c>, that starts every key.</summary>
    public string Tag { get; }

    public RedisKey Due { get; }
    public RedisKey InFlight { get; }
    public RedisKey Later { get; }
    public RedisKey Promoting { get; }

    /// <summary>In-flight caps (see <see cref="InFlightCaps"/>): counts per webhook and tenant.</summary>
    public RedisKey Busy { get; }

    /// <summary>Deliveries due again holding a slot under the caps (granted one, or their lease reaped): a set of members.
    /// One in flight holds a slot by being in flight.</summary>
    public RedisKey Slots { get; }

    /// <summary>Deliveries waiting for a slot, in one lex-ordered line per webhook or tenant.</summary>
    public RedisKey Held { get; }

    /// <summary>Each held delivery's line and due time, by member: where it is in <see cref="Held"/>.</summary>
    public RedisKey HeldBy { get; }
    public RedisChannel Wake { get; }
    public string LaterBucketPrefix { get; }

    /// <summary>The later bucket of deliveries due in [start, start + 1 min).</summary>
    public RedisKey LaterBucket(long start) => LaterBucketPrefix + start.ToString(CultureInfo.InvariantCulture);
}
