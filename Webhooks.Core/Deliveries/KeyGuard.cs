using Webhooks.Core.Data;

namespace Webhooks.Core.Deliveries;

/// <summary>
/// Where an idempotency key's rows go. <c>idempotency_keys</c> is partitioned by week like <c>events</c> (same bounds,
/// so a week of keys is dropped with its week of events), and each week's partition has its own unique index on
/// (tenant, key): a partitioned table cannot hold one across partitions. A key's own row goes to its event's week.
/// </summary>
/// <remarks>
/// Uniqueness across weeks: a key committed in any week is found by the publish's look-up (and, if it commits between
/// that look-up and the write, the write waits for it on the unique index of the week they share). The one race no
/// index would see is two publishes of one key in flight at once whose events fall on either side of a Monday
/// 00:00 UTC (ids made just before and just after it). So an event made within <see cref="Window"/> after its week
/// starts also writes a guard row into the previous week's partition, and is written only if its guard got in first
/// and then its own row: two such publishes always meet on one week's unique index, whatever their commit order.
/// Why this holds: if their ids are less than <see cref="Window"/> apart, either they share a week, or the later one's
/// guard lands in the earlier one's week. Two publishes of one key are in flight together only while one waits for the
/// other's commit, a fraction of a second (a publish times out long before an hour; the Apis' clocks are assumed less
/// than an hour apart). A guard only matters while its event is being written: it then sits in an older week than its
/// event, dropped before it, so it never outlives its event, and needs no cleanup nor any lock per key. Look-ups read
/// only the keys' own rows (guard_id null), so a guard and its event's row count as one key.
/// Other shapes considered: a unique index on the parent would need the partition key in it (unique per event, not per
/// tenant); an advisory lock per key hash would serialize all publishes of a key but not a committed key of another
/// week without a look-up, which is what the look-up already does; a table of "recent keys" would grow per key.
/// </remarks>
public static class KeyGuard
{
    /// <summary>How long after a week starts an event's key also guards the previous week.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>The guard row's id for the event <paramref name="eventId"/> (a UUIDv7, whose first 48 bits are the
    /// unix milliseconds that place it in a week): the lowest UUIDv7 of <see cref="Window"/> earlier, when that falls
    /// in the previous week; otherwise null.</summary>
    public static Guid? GuardIdOf(Guid eventId)
    {
        var made = WeeklyIds.TimeOf(eventId);
        var earlier = made - Window;
        return WeeklyIds.WeekOf(earlier) == WeeklyIds.WeekOf(made) ? null : WeeklyIds.LowestId(earlier);
    }
}
