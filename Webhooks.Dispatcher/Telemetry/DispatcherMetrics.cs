using System.Diagnostics.Metrics;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Dispatcher.Telemetry;

/// <summary>Every instrument of the Dispatcher's Meter, registered once. Queue gauges read the last sample taken by
/// <see cref="Scheduling.QueueSampler"/> (collection callbacks must not call Redis).</summary>
internal sealed class DispatcherMetrics
{
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _attempts;
    private long _inFlight;
    private long _dueCount;
    private double _lagMs;

    public DispatcherMetrics(DispatcherTelemetry telemetry)
    {
        var meter = telemetry.Meter;
        _duration = meter.CreateHistogram<double>("webhooks.delivery.duration", "ms", "Duration of one delivery attempt (the HTTP POST).");
        _attempts = meter.CreateCounter<long>("webhooks.delivery.attempts", "{attempt}",
            "Delivery attempts by outcome: success, http_error, timeout, network_error, blocked.");
        meter.CreateObservableGauge("webhooks.queue.due", () => Interlocked.Read(ref _dueCount), "{delivery}",
            "Deliveries due now and not yet claimed.");
        meter.CreateObservableGauge("webhooks.queue.lag", () => Volatile.Read(ref _lagMs), "ms",
            "Age of the oldest due delivery (0 when nothing is due).");
        meter.CreateObservableGauge("webhooks.delivery.in_flight", () => Interlocked.Read(ref _inFlight), "{delivery}",
            "Deliveries this Dispatcher is sending or recording.");
    }

    public void AttemptFinished(SendResult result, string eventType)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", result.OutcomeTag);
        _attempts.Add(1, outcome);
        _duration.Record(result.DurationMs, outcome, new KeyValuePair<string, object?>("event_type", eventType));
    }

    public void DeliveryStarted() => Interlocked.Increment(ref _inFlight);

    public void DeliveryEnded() => Interlocked.Decrement(ref _inFlight);

    public void QueueSampled(long dueCount, TimeSpan lag)
    {
        Interlocked.Exchange(ref _dueCount, dueCount);
        Volatile.Write(ref _lagMs, lag.TotalMilliseconds);
    }
}
