using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Alerts;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Dispatcher.Processing;

/// <summary>The new state of a delivery after one attempt.</summary>
internal sealed record DeliveryState(DeliveryStatus Status, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);

/// <summary>Whether the attempt was stored (false: the fence refused it), and what a failure did to its webhook.</summary>
internal sealed record AttemptRecord(bool Stored, FailureOutcome? Failure = null)
{
    public static readonly AttemptRecord Fenced = new(false);

    /// <summary>The failure disabled the webhook, which ended this delivery too: it must not be rescheduled.</summary>
    public bool DisabledWebhook => Failure?.Disabled == true;
}

/// <summary>
/// Writes one attempt and the delivery's new state in one transaction, fenced by attempt number: the delivery is updated
/// only while it still has <c>number - 1</c> attempts and is live. A worker whose lease expired mid-send (and whose
/// delivery another worker has since attempted, or the Api ended) therefore writes nothing and cannot overwrite a newer result.
/// </summary>
internal sealed class AttemptRecorder(WebhookHealthRecorder health)
{
    public async Task<AttemptRecord> RecordAsync(WebhooksDbContext db, DeliveryWork work, int number, SendResult result, DeliveryState state,
        DateTimeOffset now, CancellationToken ct)
    {
        // Aspire's Npgsql context retries transient failures; a user transaction must run inside its strategy.
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async cancellation =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellation);
            // SaveChanges inside our transaction would wrap its one INSERT in a savepoint: two statements for nothing.
            db.Database.AutoSavepointsEnabled = false;
            var updated = await db.Deliveries
                .Where(d => d.Id == work.Id && d.AttemptCount == number - 1
                    && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.AttemptCount, number)
                    .SetProperty(d => d.Status, state.Status)
                    .SetProperty(d => d.NextAttemptAt, state.NextAttemptAt)
                    .SetProperty(d => d.CompletedAt, state.CompletedAt), cancellation);
            if (updated == 0)
            {
                await transaction.RollbackAsync(cancellation);
                return AttemptRecord.Fenced;
            }
            db.DeliveryAttempts.Add(new DeliveryAttempt
            {
                Id = Guid.CreateVersion7(result.StartedAt),
                DeliveryId = work.Id,
                Number = number,
                StartedAt = result.StartedAt,
                DurationMs = result.DurationMs,
                RequestHeaders = result.RequestHeaders,
                ResponseStatus = result.ResponseStatus,
                ResponseHeaders = result.ResponseHeaders,
                ResponseBody = result.ResponseBody,
                Error = Truncate(result.Error, 2000),
            });
            await db.SaveChangesAsync(cancellation);
            var failure = await health.RecordAsync(db, work.WebhookId, work.Id, result, cancellation);
            await transaction.CommitAsync(cancellation);
            return new AttemptRecord(true, failure);
        }, ct);
    }

    /// <summary>Ends a delivery that will get no attempt (its webhook was disabled or deleted).</summary>
    public static Task<int> EndAsync(WebhooksDbContext db, Guid deliveryId, string reason, DateTimeOffset now, CancellationToken ct) =>
        db.Deliveries
            .Where(d => d.Id == deliveryId && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeliveryStatus.Failed)
                .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(d => d.CompletedAt, now)
                .SetProperty(d => d.LastError, reason), ct);

    private static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
