using System.Diagnostics.Metrics;
using Webhooks.Core.Telemetry;
using Webhooks.Dispatcher.Alerts;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Dispatcher.Telemetry;

/// <summary>Every instrument of the Dispatcher's Meter, registered once. Queue gauges read the last sample taken by
/// <see cref="Upkeep.QueueSampler"/> (collection callbacks must not call Redis).</summary>
internal sealed class DispatcherMetrics
{
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _alerts;
    private readonly Counter<long> _disabled;
    private readonly Counter<long> _undecryptable;
    private readonly FailureRateWindow _failureRate;
    private long _inFlight;
    private long _dueCount;
    private long _scheduledCount;
    private long _heldCount;
    private double _lagMs;

    public DispatcherMetrics(DispatcherTelemetry telemetry, TimeProvider time)
    {
        var meter = telemetry.Meter;
        _failureRate = new FailureRateWindow(time);
        _alerts = meter.CreateCounter<long>("webhooks.alerts", "{alert}",
            "webhook.failing alerts raised, by the consecutive-failure threshold reached.");
        _disabled = meter.CreateCounter<long>("webhooks.webhooks.disabled", "{webhook}",
            "Webhooks disabled after too many consecutive failures or a 410 Gone.");
        _undecryptable = meter.CreateCounter<long>("webhooks.secrets.undecryptable", "{delivery}",
            "Deliveries put off because this Dispatcher cannot decrypt their webhook's signing secret (a missing or wrong " +
            "key in Webhooks:Secrets:EncryptionKeys), by the key id the secret names. Not attempts: nothing is counted against the webhook.");
        meter.CreateObservableGauge("webhooks.delivery.failure_rate", () => _failureRate.Ratio(), "1",
            "Share of delivery attempts that failed over the last five minutes (0 when there were none).");
        _duration = meter.CreateHistogram<double>("webhooks.delivery.duration", "ms", "Duration of one delivery attempt (the HTTP POST).");
        _attempts = meter.CreateCounter<long>("webhooks.delivery.attempts", "{attempt}",
            "Delivery attempts by outcome: success, http_error, timeout, network_error, blocked.");
        meter.CreateObservableGauge("webhooks.queue.due", () => Interlocked.Read(ref _dueCount), "{delivery}",
            "Deliveries due now and not yet claimed.");
        meter.CreateObservableGauge("webhooks.queue.scheduled", () => Interlocked.Read(ref _scheduledCount), "{delivery}",
            "Deliveries scheduled for later and not yet due, mostly retries waiting: the due set's future part and the later buckets.");
        meter.CreateObservableGauge("webhooks.queue.held", () => Interlocked.Read(ref _heldCount), "{delivery}",
            "Deliveries due but held under the in-flight caps (MaxInFlightPerWebhook / MaxInFlightPerTenant), waiting for a " +
            "slot of their webhook or tenant; they go out, oldest first, as that webhook's or tenant's attempts end.");
        meter.CreateObservableGauge("webhooks.queue.lag", () => Volatile.Read(ref _lagMs), "ms",
            "Age of the oldest due delivery (0 when nothing is due).");
        meter.CreateObservableGauge("webhooks.delivery.in_flight", () => Interlocked.Read(ref _inFlight), "{delivery}",
            "Deliveries this Dispatcher is sending or recording.");
    }

    public void AttemptFinished(SendResult result, string eventType)
    {
        var outcome = new KeyValuePair<string, object?>(MetricTags.Outcome, result.OutcomeTag);
        _attempts.Add(1, outcome);
        _failureRate.Add(result.Succeeded);
        _duration.Record(result.DurationMs, outcome, new KeyValuePair<string, object?>(MetricTags.EventType, eventType));
    }

    public void WebhookHealthChanged(FailureOutcome outcome)
    {
        foreach (var threshold in outcome.ThresholdsCrossed) _alerts.Add(1, new KeyValuePair<string, object?>(MetricTags.Threshold, threshold));
        if (outcome.Disabled) _disabled.Add(1);
    }

    public void SecretUndecryptable(string keyId) => _undecryptable.Add(1, new KeyValuePair<string, object?>(MetricTags.KeyId, keyId));

    public void DeliveryStarted() => Interlocked.Increment(ref _inFlight);

    public void DeliveryEnded() => Interlocked.Decrement(ref _inFlight);

    public void QueueSampled(long dueCount, TimeSpan lag, long scheduledCount, long heldCount)
    {
        Interlocked.Exchange(ref _dueCount, dueCount);
        Interlocked.Exchange(ref _scheduledCount, scheduledCount);
        Interlocked.Exchange(ref _heldCount, heldCount);
        Volatile.Write(ref _lagMs, lag.TotalMilliseconds);
    }
}
