using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;

namespace Webhooks.Api.Features.Deliveries;

/// <summary>
/// Makes deliveries due now for one more attempt (manual retry, recovery). A final delivery becomes <c>retrying</c>
/// again and keeps its attempt count, so the retry schedule does not start over: a failure of the extra attempt
/// ends it <c>failed</c> again. Postgres first, then Redis; if Redis is down the reconciler schedules them.
/// </summary>
internal sealed class DeliveryRequeue(WebhooksDbContext db, DeliveryQueue queue, TimeProvider time)
{
    public async Task<DateTimeOffset> RequeueAsync(IReadOnlyCollection<Guid> deliveryIds, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (deliveryIds.Count == 0) return now;
        await db.Deliveries.Where(d => deliveryIds.Contains(d.Id))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, d => d.Status == DeliveryStatus.Pending ? DeliveryStatus.Pending : DeliveryStatus.Retrying)
                .SetProperty(d => d.NextAttemptAt, now)
                .SetProperty(d => d.CompletedAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LastError, (string?)null), ct);
        await queue.ScheduleCommittedAsync(deliveryIds.Select(id => (id, now)).ToList());
        return now;
    }
}
