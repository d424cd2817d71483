using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Deliveries;

/// <summary>
/// Every statement that puts deliveries back in line: a manual retry and a recovery make them due now for one more
/// attempt; the reconciler's sweep finds the live ones Redis may have lost. A final delivery becomes <c>retrying</c>
/// again and keeps its attempt count, so the retry schedule does not start over: a failure of the extra attempt ends
/// it <c>failed</c> again.
/// </summary>
public sealed class DeliveryRequeue(DeliveryScheduler scheduler, TimeProvider time)
{
    /// <summary>Recovery requeues in chunks of this many, so one recovery of a long outage never holds a huge
    /// statement or a huge Redis call.</summary>
    public const int Chunk = 1000;

    /// <summary>Makes these deliveries due now, then schedules them.</summary>
    /// <returns>When they are due.</returns>
    public async Task<DateTimeOffset> RequeueAsync(WebhooksDbContext db, IReadOnlyCollection<Guid> deliveryIds, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (deliveryIds.Count == 0) return now;
        await scheduler.CommitThenScheduleAsync(() => db.Deliveries.Where(d => deliveryIds.Contains(d.Id))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, d => d.Status == DeliveryStatus.Pending ? DeliveryStatus.Pending : DeliveryStatus.Retrying)
                .SetProperty(d => d.NextAttemptAt, now)
                .SetProperty(d => d.CompletedAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LastError, (string?)null), ct),
            _ => deliveryIds.Select(id => (id, now)).ToList());
        return now;
    }

    /// <summary>Requeues the webhook's failed deliveries created in [since, until), a chunk at a time.</summary>
    /// <returns>How many were requeued.</returns>
    public async Task<int> RequeueFailedAsync(WebhooksDbContext db, Guid webhookId, DateTimeOffset since, DateTimeOffset until, CancellationToken ct)
    {
        var requeued = 0;
        var after = Guid.Empty;
        while (true)
        {
            var ids = await db.Deliveries.AsNoTracking()
                .Where(d => d.WebhookId == webhookId && d.Status == DeliveryStatus.Failed && d.CreatedAt >= since && d.CreatedAt < until
                            && d.Id.CompareTo(after) > 0)
                .OrderBy(d => d.Id).Select(d => d.Id).Take(Chunk).ToListAsync(ct);
            if (ids.Count == 0) return requeued;
            await RequeueAsync(db, ids, ct);
            requeued += ids.Count;
            after = ids[^1];
        }
    }

    /// <summary>
    /// The reconciler's sweep, a page at a time: live deliveries due before <paramref name="until"/>, in
    /// (next_attempt_at, id) order after <paramref name="after"/>, over the partial index of live deliveries.
    /// </summary>
    public static async Task<List<(Guid Id, DateTimeOffset DueAt)>> LiveDueBeforeAsync(WebhooksDbContext db, DateTimeOffset until,
        (DateTimeOffset DueAt, Guid Id)? after, int pageSize, CancellationToken ct)
    {
        var query = db.Deliveries.AsNoTracking()
            // Written as two equalities, not Contains over a parameter, so Postgres matches the index's filter.
            .Where(d => (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying) && d.NextAttemptAt < until);
        if (after is var (at, id)) query = query.Where(d => d.NextAttemptAt > at || (d.NextAttemptAt == at && d.Id.CompareTo(id) > 0));
        var page = await query.OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Id).Take(pageSize)
            .Select(d => new { d.Id, d.NextAttemptAt }).ToListAsync(ct);
        return page.ConvertAll(d => (d.Id, d.NextAttemptAt!.Value));
    }
}
