using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Queue;
using Webhooks.Core.Secrets;
using Webhooks.Core.Signing;
using Webhooks.Dispatcher.Telemetry;
using Webhooks.Dispatcher.Claiming;
using Webhooks.Dispatcher.Retrying;
using Webhooks.Dispatcher.Recording;

namespace Webhooks.Dispatcher.Sending;

/// <summary>
/// Takes each claimed delivery to its next state: decides whether an attempt is due, signs and sends it
/// (<see cref="WebhookSender"/>), has the attempt recorded (<see cref="AttemptRecorder"/>, which batches the writes)
/// with the state the retry policy gives it (<see cref="RetryPolicy"/>), then acks it or puts it back in the schedule.
/// Never throws for a delivery's sake; when Postgres or Redis fails it leaves the id in flight, and the lease reaper
/// brings it back.
/// </summary>
internal sealed partial class DeliveryProcessor(
    IServiceScopeFactory scopes,
    DeliveryQueue queue,
    WebhookSender sender,
    RetryPolicy retryPolicy,
    AttemptRecorder writer,
    DeliveryAcks acks,
    SecretProtector secrets,
    DispatcherMetrics metrics,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<DeliveryProcessor> logger)
{
    /// <summary>Scores are whole milliseconds while Postgres keeps microseconds: "due" allows for the rounding.</summary>
    private static readonly TimeSpan DueTolerance = TimeSpan.FromMilliseconds(2);

    /// <summary>Processes one claim's deliveries concurrently; <paramref name="finished"/> is called once per delivery
    /// id as it is done. Each claimed delivery holds a slot under the in-flight caps, which its ack or reschedule frees:
    /// one not sent (missing, final, its webhook closed, not yet due) frees it at once.</summary>
    /// <param name="works">The claim as read from Postgres: a delivery missing there (retention removed it) is dropped.</param>
    /// <param name="leaseUntil">When the claim's lease on these deliveries runs out.</param>
    /// <param name="stopping">Cancelled when the Dispatcher gives up waiting at shutdown: the deliveries are handed back as due.</param>
    public Task ProcessAsync(IReadOnlyList<QueuedDelivery> claimed, Dictionary<Guid, DeliveryWork> works, DateTimeOffset leaseUntil,
        Action<Guid> finished, CancellationToken stopping) =>
        Task.WhenAll(claimed.Select(delivery => RunAsync(delivery, works.GetValueOrDefault(delivery.Id), leaseUntil, finished, stopping)));

    private async Task RunAsync(QueuedDelivery delivery, DeliveryWork? work, DateTimeOffset leaseUntil, Action<Guid> finished,
        CancellationToken stopping)
    {
        metrics.DeliveryStarted();
        try
        {
            await ProcessAsync(delivery, work, leaseUntil, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await HandBackAsync(delivery);
        }
        catch (Exception e)
        {
            LogLeftInFlight(e, delivery.Id);
        }
        finally
        {
            metrics.DeliveryEnded();
            finished(delivery.Id);
        }
    }

    /// <param name="delivery">As claimed: every queue call names it so, whatever Postgres says.</param>
    private async Task ProcessAsync(QueuedDelivery delivery, DeliveryWork? work, DateTimeOffset leaseUntil, CancellationToken stopping)
    {
        var now = time.GetUtcNow();
        if (work is null || work.IsFinal)
        {
            await acks.AckAsync(delivery);
            return;
        }
        if (work.WhyWebhookClosed is { } reason)
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
                await DeliveryEnding.EndAsync(db, delivery.Id, reason, now, CancellationToken.None);
            }
            await acks.AckAsync(delivery);
            LogEnded(delivery.Id, work.WebhookId, reason);
            return;
        }
        if (work.NextAttemptAt is { } dueAt && dueAt > now + DueTolerance)
        {
            if (dueAt > now + DeliveryLoop.ClaimAhead + DueTolerance)
            {
                // The schedule had it earlier than Postgres does (a restored or superseded score): Postgres wins.
                await queue.RescheduleAsync(delivery, dueAt);
                return;
            }
            await Task.Delay(dueAt - now, time, stopping); // claimed a moment early on purpose (see ClaimAhead)
        }
        if (!await KeepLeaseAsync(delivery, leaseUntil))
        {
            LogLeaseLost(delivery.Id);
            return;
        }
        await AttemptAsync(delivery, work, stopping);
    }

    /// <summary>
    /// Whether this claim may still send the delivery. A claim normally sends within milliseconds, far inside its
    /// lease, and this costs nothing. But a Dispatcher starved of CPU (or paused) can reach the send late; once the lease
    /// has less left than a whole attempt needs (the request timeout plus half the margin, for the record and the ack),
    /// the lease is renewed first, in Redis, and only if it is still this claim's: one that ran out was reaped and may
    /// already be another Dispatcher's to send, so sending it here would double the attempt.
    /// </summary>
    private async Task<bool> KeepLeaseAsync(QueuedDelivery delivery, DateTimeOffset leaseUntil)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        if (now + o.RequestTimeout + o.LeaseMargin / 2 <= leaseUntil) return true;
        return await queue.RenewLeaseAsync(delivery, leaseUntil, now + o.Lease);
    }

    private async Task AttemptAsync(QueuedDelivery delivery, DeliveryWork work, CancellationToken stopping)
    {
        var number = work.AttemptCount + 1;
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["DeliveryId"] = work.Id, ["WebhookId"] = work.WebhookId, ["TenantId"] = work.TenantId, ["AttemptNumber"] = number,
        });
        ActivityContext.TryParse(work.TraceParent, null, out var parent);
        using var activity = DispatcherTelemetry.ActivitySource.StartActivity("deliver", ActivityKind.Consumer, parent)
            // Nothing listens (no exporter): a bare activity still carries the publish's trace on to the receiver.
            ?? (parent == default ? null : new Activity("deliver").SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags).Start());
        activity?.SetTag("webhooks.delivery.id", work.Id);
        activity?.SetTag("webhooks.webhook.id", work.WebhookId);
        activity?.SetTag("webhooks.tenant.id", work.TenantId);
        activity?.SetTag("webhooks.event.type", work.EventType);
        activity?.SetTag("webhooks.delivery.attempt", number);

        var attemptAt = time.GetUtcNow();
        if (OpenSecrets(work, attemptAt) is not var (secret, previousSecret))
        {
            await PutOffAsync(delivery, work, activity);
            return;
        }
        var result = await SendAsync(work, attemptAt, secret, previousSecret, stopping);
        metrics.AttemptFinished(result, work.EventType);
        activity?.SetTag("webhooks.delivery.outcome", result.OutcomeTag);
        if (result.ResponseStatus is { } status) activity?.SetTag("http.response.status_code", status);
        if (!result.Succeeded) activity?.SetStatus(ActivityStatusCode.Error, result.Error ?? $"HTTP {result.ResponseStatus}");

        var now = time.GetUtcNow();
        var state = retryPolicy.StateAfter(number, result, now);
        AttemptRecord record;
        using (DispatcherTelemetry.ActivitySource.StartActivity("record attempt"))
            record = await writer.RecordAsync(new AttemptToRecord(work, number, result, state));
        if (!record.Stored)
        {
            LogFenced(number);
            await acks.AckAsync(delivery);
            return;
        }
        if (record.DisabledWebhook)
        {
            LogDisabledWebhook(record.Failure!.ConsecutiveFailures);
            await acks.AckAsync(delivery);
            return;
        }

        if (state.NextAttemptAt is { } next)
        {
            LogRetrying(result.OutcomeTag, Reason(result), next);
            using (DispatcherTelemetry.ActivitySource.StartActivity("reschedule delivery"))
                await queue.RescheduleAsync(delivery, next);
            return;
        }
        if (state.Status == DeliveryStatus.Success) LogSucceeded(result.ResponseStatus, result.DurationMs);
        else LogFailed(number, result.OutcomeTag, Reason(result));
        using (DispatcherTelemetry.ActivitySource.StartActivity("ack delivery"))
            await acks.AckAsync(delivery);
    }

    private async Task<SendResult> SendAsync(DeliveryWork work, DateTimeOffset attemptAt, string secret, string? previousSecret,
        CancellationToken stopping)
    {
        byte[] body;
        IReadOnlyList<KeyValuePair<string, string>> headers;
        using (DispatcherTelemetry.ActivitySource.StartActivity("sign"))
        {
            body = WebhookBody.Create(work.EventId, work.EventType, work.EventCreatedAt, work.Payload);
            headers = WebhookSigner.Headers(body, work.Id, work.EventType, attemptAt, secret, previousSecret);
        }
        return await sender.SendAsync(work.Url, body, headers, stopping);
    }

    /// <summary>The webhook's signing secret (and the previous one while its grace period lasts), or null when this
    /// process' keyring cannot decrypt them.</summary>
    private (string Secret, string? Previous)? OpenSecrets(DeliveryWork work, DateTimeOffset attemptAt)
    {
        using var activity = DispatcherTelemetry.ActivitySource.StartActivity("open signing secret");
        try
        {
            var secret = secrets.Unprotect(work.SecretCiphertext);
            var previous = work.PreviousSecretCiphertext is { } ciphertext && work.PreviousSecretExpiresAt > attemptAt
                ? secrets.Unprotect(ciphertext)
                : null;
            return (secret, previous);
        }
        catch (CryptographicException e)
        {
            LogSecretUndecryptable(e.GetType().Name, KeyIdOf(work));
            return null;
        }
    }

    /// <summary>
    /// A secret this process cannot decrypt is the Dispatcher's fault (a key missing from or wrong in its keyring), not
    /// the webhook's: sending unsigned would be worse, and failing the attempt would count against the webhook (alerts,
    /// auto-disable) and end deliveries a correctly configured process would send. So no attempt is recorded; the
    /// delivery goes back to the schedule and is claimed again after a first retry's delay, by whichever Dispatcher
    /// takes it, while the error log and <c>webhooks.secrets.undecryptable</c> tell the operator.
    /// </summary>
    private async Task PutOffAsync(QueuedDelivery delivery, DeliveryWork work, Activity? activity)
    {
        var keyId = KeyIdOf(work);
        metrics.SecretUndecryptable(keyId);
        activity?.SetTag("webhooks.delivery.outcome", "put_off");
        activity?.SetStatus(ActivityStatusCode.Error, "the webhook's signing secret cannot be decrypted by this Dispatcher");
        await queue.RescheduleAsync(delivery, retryPolicy.OwnFaultRetryAt(time.GetUtcNow()));
    }

    private static string KeyIdOf(DeliveryWork work)
    {
        try
        {
            return SecretProtector.KeyIdOf(work.SecretCiphertext);
        }
        catch (CryptographicException)
        {
            return "unknown";
        }
    }

    /// <summary>Shutdown abandoned the delivery: make it due now so the next Dispatcher sends it without waiting for
    /// the lease to expire (the receiver may see it twice; it dedupes on webhook-id).</summary>
    public async Task HandBackAsync(QueuedDelivery delivery)
    {
        try
        {
            await queue.RescheduleAsync(delivery, time.GetUtcNow());
        }
        catch (Exception e)
        {
            LogLeftInFlight(e, delivery.Id);
        }
    }


    private static string Reason(SendResult result) => (result.ResponseStatus, result.Error) switch
    {
        ({ } status, null) => $"HTTP {status}",
        ({ } status, { } error) => $"HTTP {status}: {error}",
        (null, var error) => error ?? "no response",
    };

    [LoggerMessage(LogLevel.Debug, "Delivered with HTTP {StatusCode} in {DurationMs} ms")]
    private partial void LogSucceeded(int? statusCode, int durationMs);

    [LoggerMessage(LogLevel.Information, "Delivery attempt failed: {Reason} ({Outcome}); next attempt at {NextAttemptAt:O}")]
    private partial void LogRetrying(string outcome, string reason, DateTimeOffset nextAttemptAt);

    [LoggerMessage(LogLevel.Warning, "Delivery failed for good after {Attempts} attempt(s); the last: {Reason} ({Outcome})")]
    private partial void LogFailed(int attempts, string outcome, string reason);

    [LoggerMessage(LogLevel.Information, "Delivery {DeliveryId} of webhook {WebhookId} ended without an attempt: {Reason}")]
    private partial void LogEnded(Guid deliveryId, Guid webhookId, string reason);

    [LoggerMessage(LogLevel.Warning, "The webhook was disabled after {ConsecutiveFailures} consecutive failures; its live deliveries end")]
    private partial void LogDisabledWebhook(int consecutiveFailures);

    [LoggerMessage(LogLevel.Information, "Attempt {AttemptNumber} was not recorded: the delivery moved on meanwhile (another worker or the Api)")]
    private partial void LogFenced(int attemptNumber);


    [LoggerMessage(LogLevel.Error, "This Dispatcher cannot decrypt the webhook's signing secret ({Error}; key id '{KeyId}'): the " +
        "delivery is put off, not attempted and not counted against the webhook. Give every Dispatcher the same " +
        "Webhooks:Secrets:EncryptionKeys as the Api processes.")]
    private partial void LogSecretUndecryptable(string error, string keyId);

    [LoggerMessage(LogLevel.Warning, "Delivery {DeliveryId} was not sent: this Dispatcher reached it after its lease ran out " +
        "(starved of CPU or paused), and it went back to the schedule for another claim")]
    private partial void LogLeaseLost(Guid deliveryId);

    [LoggerMessage(LogLevel.Error, "Delivery {DeliveryId} could not be processed; it stays in flight until its lease expires")]
    private partial void LogLeftInFlight(Exception exception, Guid deliveryId);
}
