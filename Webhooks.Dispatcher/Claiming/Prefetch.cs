using Npgsql;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Queue;

namespace Webhooks.Dispatcher.Claiming;

/// <summary>
/// A read of just-published deliveries (<see cref="ClaimedDeliveries"/>) started as their wake arrives, while the loop
/// claims them, instead of after the claim: the Postgres round trip then overlaps the Redis one. After the claim the loop
/// takes from it what it may (<see cref="UsableAsync"/>) and reads the rest as usual.
/// </summary>
/// <remarks>
/// Why a row read before the claim may be sent. The prefetch stands only for rows as the publish wrote them (pending, no
/// attempt yet), read at most <see cref="MaxAge"/> before the claim that took them ended. Such a row changes only
/// through a Dispatcher that held a claim on it: its attempt's record, or its end when the webhook is closed. For this
/// claim to take the delivery after such a change, that Dispatcher must have given it back to the due set in between: an
/// ended delivery is acked, never given back; a recorded attempt is rescheduled only once its record has committed, at
/// its retry time, and a claim takes only what is due within <see cref="DeliveryLoop.ClaimAhead"/>; a reaped lease or a
/// hand-back does not write the row. So a stale row needs a whole attempt and a retry due within ~0.1 s to fit between
/// the read and the claim; and even then the send here comes after that attempt ended (never at once with it), and its
/// record, as attempt 1 again, is fenced by attempt number and not stored; the delivery stays retrying in Postgres and
/// the reconciler schedules it again. What changes without a claim (a webhook disabled or deleted, a secret rotated) can
/// as well land just after a read made after the claim: reading it a millisecond earlier changes nothing.
/// </remarks>
internal sealed class Prefetch
{
    /// <summary>How old (from the read's start to the claim's end) a prefetch may be and still be used.</summary>
    internal static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(100);

    private readonly Task<Dictionary<Guid, DeliveryWork>> _read;
    private readonly long _startedAt;
    private readonly TimeProvider _time;

    internal Prefetch(Guid[] ids, Task<Dictionary<Guid, DeliveryWork>> read, long startedAt, TimeProvider time)
    {
        Ids = ids;
        _read = read;
        _startedAt = startedAt;
        _time = time;
    }

    /// <summary>Starts reading <paramref name="ids"/> now, on the caller's thread up to the first wait.</summary>
    public static Prefetch Start(NpgsqlDataSource database, Guid[] ids, TimeProvider time)
    {
        var startedAt = time.GetTimestamp();
        return new Prefetch(ids, ReadAsync(database, ids), startedAt, time);
    }

    /// <summary>The deliveries read, as the wake named them.</summary>
    public Guid[] Ids { get; }

    private static async Task<Dictionary<Guid, DeliveryWork>> ReadAsync(NpgsqlDataSource database, Guid[] ids)
    {
        using var activity = DispatcherTelemetry.ActivitySource.StartActivity("prefetch deliveries");
        activity?.SetTag("webhooks.deliveries.count", ids.Length);
        await using var connection = await database.OpenConnectionAsync();
        return await ClaimedDeliveries.ReadAsync(connection, ids, CancellationToken.None);
    }

    /// <summary>The rows of <paramref name="claimed"/> deliveries this prefetch may stand for (see the remarks); none
    /// when the read failed or is too old.</summary>
    /// <param name="claimEndedAt">A <see cref="TimeProvider.GetTimestamp"/> taken once the claim had answered.</param>
    public async Task<Dictionary<Guid, DeliveryWork>> UsableAsync(IReadOnlyList<QueuedDelivery> claimed, long claimEndedAt)
    {
        Dictionary<Guid, DeliveryWork> rows;
        try
        {
            rows = await _read;
        }
        catch (Exception)
        {
            // Nothing lost: the claimed deliveries are read again after the claim, which reports a failure of its own.
            return [];
        }
        var usable = new Dictionary<Guid, DeliveryWork>();
        if (_time.GetElapsedTime(_startedAt, claimEndedAt) > MaxAge) return usable;
        foreach (var delivery in claimed)
            if (rows.TryGetValue(delivery.Id, out var work) && work is { Status: DeliveryStatus.Pending, AttemptCount: 0 })
                usable[delivery.Id] = work;
        return usable;
    }

    /// <summary>Waits for a prefetch no claim took, so that its failure is observed.</summary>
    public async Task DiscardAsync()
    {
        try
        {
            await _read;
        }
        catch (Exception)
        {
            // Nobody needed it.
        }
    }
}
