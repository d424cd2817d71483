using System.Buffers.Binary;
using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// The compact tier of the schedule: deliveries due beyond <see cref="DeliveryQueue.NearHorizon"/> wait in one Redis
/// string per minute of due time, each entry 52 bytes (the 48-byte member of <see cref="QueuedDelivery"/>, then the due
/// time as milliseconds after the bucket's start, a little-endian uint32), instead of a sorted-set member at ~150 bytes. The claim script promotes a bucket into the due set once its start
/// comes within the near horizon; see <see cref="DeliveryQueue"/> for the whole life cycle.
/// </summary>
internal static class LaterBuckets
{
    /// <summary>The due time is an offset from the bucket's start (4 bytes, not a whole unix time's 8) because APPEND
    /// grows a string by doubling: the 1M-delivery scale bench measured 107 bytes of Redis per scheduled delivery with
    /// 56-byte entries, over its 100-byte target; every byte of an entry costs about two.</summary>
    public const int EntryBytes = QueuedDelivery.MemberBytes + 4;

    /// <summary>Narrow enough that a bucket's promotion is a small step ahead of its deliveries, wide enough that the
    /// ~100 bytes a bucket key costs are shared by many entries.</summary>
    public static readonly TimeSpan Width = TimeSpan.FromMinutes(1);

    public static long StartOf(long dueAtMs) => dueAtMs - dueAtMs % (long)Width.TotalMilliseconds;

    /// <summary>
    /// Queues on <paramref name="transaction"/> one APPEND per bucket and the index entries of those buckets: in one
    /// transaction, so a bucket never exists without its index entry (which is all the claim script looks at).
    /// </summary>
    public static List<Task> Append(ITransaction transaction, QueueKeys keys, IEnumerable<(QueuedDelivery Delivery, long DueAtMs)> deliveries)
    {
        var writes = new List<Task>();
        var starts = new List<SortedSetEntry>();
        foreach (var bucket in deliveries.GroupBy(d => StartOf(d.DueAtMs)))
        {
            var entries = bucket.ToList();
            var bytes = new byte[entries.Count * EntryBytes];
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = bytes.AsSpan(i * EntryBytes, EntryBytes);
                entries[i].Delivery.WriteTo(entry);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[QueuedDelivery.MemberBytes..], (uint)(entries[i].DueAtMs - bucket.Key));
            }
            writes.Add(transaction.StringAppendAsync(keys.LaterBucket(bucket.Key), bytes));
            starts.Add(new SortedSetEntry(bucket.Key, bucket.Key));
        }
        writes.Add(transaction.SortedSetAddAsync(keys.Later, starts.ToArray()));
        return writes;
    }
}
