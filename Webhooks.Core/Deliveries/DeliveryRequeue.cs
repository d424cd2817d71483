using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;

namespace Webhooks.Core.Deliveries;

/// <summary>
/// Every statement that puts deliveries back in line: a manual retry and a recovery make them due now for one more
/// attempt; the reconciler's sweep finds the live ones Redis may have lost. A final delivery becomes <c>retrying</c>
/// again and keeps its attempt count, so the retry schedule does not start over: a failure of the extra attempt ends
/// it <c>failed</c> again.
///
/// A delivery whose attempt is in flight (claimed by a Dispatcher, its lease not ended) is left alone: requeuing it
/// would let a second Dispatcher send it while the first still is. So a requeue first asks Redis which are in flight
/// and leaves those out (nothing of theirs changes), then commits the rest in Postgres, then schedules them with
/// <see cref="DeliveryQueue.ScheduleUnlessInFlightAsync"/>, which looks again atomically: one claimed in between is
/// not added a second time, its running attempt being the one asked for. Commit before schedule, as for a publish: a
/// Dispatcher woken by the schedule must read the requeued row, not the one before.
/// </summary>
public sealed partial class DeliveryRequeue(DeliveryQueue queue, TimeProvider time, ILogger<DeliveryRequeue> logger)
{
    /// <summary>Recovery requeues in chunks of this many, so one recovery of a long outage never holds a huge
    /// statement or a huge Redis call.</summary>
    public const int Chunk = 1000;

    /// <summary>Makes these deliveries due now, in Postgres then in Redis, except those whose attempt is in flight.</summary>
    /// <returns>When they are due, and the deliveries left alone because an attempt of theirs is in flight.</returns>
    /// <param name="deliveries">The deliveries, with their webhook and tenant as the schedule holds them.</param>
    public async Task<Requeued> RequeueAsync(WebhooksDbContext db, IReadOnlyList<QueuedDelivery> deliveries, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (deliveries.Count == 0) return new(now, []);
        IReadOnlyList<QueuedDelivery> inFlight;
        try
        {
            inFlight = await queue.InFlightAsync(deliveries);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Redis unreachable: Postgres alone. The reconciler schedules the rows, and it too skips ids in flight.
            LogNotScheduled(e, deliveries.Count);
            inFlight = [];
        }
        var requeue = inFlight.Count == 0 ? deliveries : deliveries.Except(inFlight).ToList();
        if (requeue.Count == 0) return new(now, inFlight);
        var ids = requeue.Select(d => d.Id).ToList();
        await db.Deliveries.Where(d => ids.Contains(d.Id))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, d => d.Status == DeliveryStatus.Pending ? DeliveryStatus.Pending : DeliveryStatus.Retrying)
                .SetProperty(d => d.NextAttemptAt, now)
                .SetProperty(d => d.CompletedAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LastError, (string?)null), ct);
        try
        {
            // REVIEW: one claimed since the look above is skipped here. Its worker may have read the row before the commit:
            // sent as it was, its fenced write stands; a final one it acks unsent, and the reconciler schedules the
            // requeued row within Webhooks:Reconciler:Interval. A late retry in a narrow race, never two at once.
            await queue.ScheduleUnlessInFlightAsync(requeue, now);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogNotScheduled(e, requeue.Count);
        }
        return new(now, inFlight);
    }

    /// <summary>Requeues the webhook's failed deliveries created in [since, until), a chunk at a time, except those
    /// whose attempt is in flight.</summary>
    /// <returns>How many were requeued, and how many were left alone because an attempt of theirs is in flight.</returns>
    public async Task<(int Requeued, int InFlight)> RequeueFailedAsync(WebhooksDbContext db, Guid webhookId, DateTimeOffset since,
        DateTimeOffset until, CancellationToken ct)
    {
        var (requeued, inFlight) = (0, 0);
        var after = Guid.Empty;
        while (true)
        {
            var failed = await db.Deliveries.AsNoTracking()
                .Where(d => d.WebhookId == webhookId && d.Status == DeliveryStatus.Failed && d.CreatedAt >= since && d.CreatedAt < until
                            && d.Id.CompareTo(after) > 0)
                .OrderBy(d => d.Id).Take(Chunk).Select(d => new QueuedDelivery(d.Id, d.WebhookId, d.TenantId)).ToListAsync(ct);
            if (failed.Count == 0) return (requeued, inFlight);
            var chunk = await RequeueAsync(db, failed, ct);
            requeued += failed.Count - chunk.InFlight.Count;
            inFlight += chunk.InFlight.Count;
            after = failed[^1].Id;
        }
    }

    /// <summary>
    /// The reconciler's sweep, a page at a time: live deliveries due before <paramref name="until"/>, in
    /// (next_attempt_at, id) order after <paramref name="after"/>, over the partial index of live deliveries, each with
    /// its webhook and tenant as the schedule holds them.
    /// </summary>
    public static async Task<List<(QueuedDelivery Delivery, DateTimeOffset DueAt)>> LiveDueBeforeAsync(WebhooksDbContext db, DateTimeOffset until,
        (DateTimeOffset DueAt, Guid Id)? after, int pageSize, CancellationToken ct)
    {
        var query = db.Deliveries.AsNoTracking()
            // Written as two equalities, not Contains over a parameter, so Postgres matches the index's filter.
            .Where(d => (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying) && d.NextAttemptAt < until);
        if (after is var (at, id)) query = query.Where(d => d.NextAttemptAt > at || (d.NextAttemptAt == at && d.Id.CompareTo(id) > 0));
        var page = await query.OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Id).Take(pageSize)
            .Select(d => new { d.Id, d.WebhookId, d.TenantId, d.NextAttemptAt }).ToListAsync(ct);
        return page.ConvertAll(d => (new QueuedDelivery(d.Id, d.WebhookId, d.TenantId), d.NextAttemptAt!.Value));
    }

    [LoggerMessage(LogLevel.Warning, "Could not schedule {Count} requeued deliveries in Redis; the reconciler will pick them up")]
    private partial void LogNotScheduled(Exception exception, int count);
}

/// <summary>A requeue's answer: when the deliveries are due, and those left alone because an attempt is in flight.</summary>
public sealed record Requeued(DateTimeOffset DueAt, IReadOnlyList<QueuedDelivery> InFlight);
