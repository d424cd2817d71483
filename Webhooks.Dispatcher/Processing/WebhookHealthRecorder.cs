using Webhooks.Core.Alerts;
using Webhooks.Core.Data;
using Webhooks.Dispatcher.Sending;
using Webhooks.Dispatcher.Telemetry;

namespace Webhooks.Dispatcher.Processing;

/// <summary>
/// Keeps a webhook's health in step with its attempts: a success resets the consecutive-failure count, a failure
/// increments it and, through <see cref="WebhookFailureTracker"/>, notifies at the thresholds and disables the
/// webhook at the limit or on 410 Gone. Runs inside the transaction that records the attempts, after their fenced
/// updates, so an attempt that lost the fence counts nothing.
/// </summary>
internal sealed class WebhookHealthRecorder(WebhookFailureTracker tracker, DispatcherMetrics metrics)
{
    public async Task<FailureOutcome> RecordFailureAsync(WebhooksDbContext db, Guid webhookId, Guid deliveryId, SendResult result,
        CancellationToken ct)
    {
        var outcome = await tracker.RecordFailureAsync(db, webhookId, deliveryId, result.ResponseStatus, result.Error, ct);
        metrics.WebhookHealthChanged(outcome);
        return outcome;
    }

    public Task RecordSuccessesAsync(WebhooksDbContext db, IReadOnlyCollection<Guid> webhookIds, CancellationToken ct) =>
        tracker.RecordSuccessesAsync(db, webhookIds, ct);
}
