using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;

namespace Webhooks.Dispatcher.Processing;

/// <summary>
/// Keeps a webhook's health (consecutive failures, last success and failure times) in step with its attempts. Runs
/// inside the transaction that records the attempt, after the delivery's fenced update, so an attempt that lost the
/// fence counts nothing.
/// <para>This is the place for threshold notifications and auto-disable (DESIGN.md, "Retries, alerts, disable"). The
/// transaction already holds this delivery's row lock: to stop a disabled webhook's other deliveries, update only the
/// webhook row here. The processor ends each of its queued deliveries ("webhook disabled") as it comes due, which
/// avoids locking sibling deliveries that other workers hold (a deadlock).</para>
/// </summary>
internal sealed class WebhookHealthRecorder
{
    public async Task RecordAsync(WebhooksDbContext db, Guid webhookId, bool succeeded, DateTimeOffset at, CancellationToken ct)
    {
        var webhook = db.Webhooks.Where(w => w.Id == webhookId);
        if (succeeded)
        {
            await webhook.ExecuteUpdateAsync(s => s
                .SetProperty(w => w.ConsecutiveFailures, 0)
                .SetProperty(w => w.LastSuccessAt, at), ct);
        }
        else
        {
            // Incremented in SQL, not read-modify-written, so concurrent failures of one webhook all count.
            await webhook.ExecuteUpdateAsync(s => s
                .SetProperty(w => w.ConsecutiveFailures, w => w.ConsecutiveFailures + 1)
                .SetProperty(w => w.LastFailureAt, at), ct);
        }
    }
}
