using System.Diagnostics.Metrics;
using Webhooks.Core.Telemetry;

namespace Webhooks.Api;

/// <summary>The Api's instruments, on the <see cref="ApiTelemetry.Name"/> meter.</summary>
public sealed class ApiMetrics
{
    private readonly Counter<long> _eventsPublished;
    private readonly Counter<long> _deliveriesCreated;
    private readonly Histogram<double> _publishDuration;

    public ApiMetrics(ApiTelemetry telemetry)
    {
        _eventsPublished = telemetry.Meter.CreateCounter<long>("webhooks.events.published", "{event}",
            "Events accepted (idempotent repeats not counted).");
        _deliveriesCreated = telemetry.Meter.CreateCounter<long>("webhooks.deliveries.created", "{delivery}",
            "Deliveries created by publishing, one per event and subscribed webhook.");
        _publishDuration = telemetry.Meter.CreateHistogram<double>("webhooks.publish.duration", "ms",
            "Time to accept a publish request: validate, write event and deliveries, schedule.");
    }

    public void Published(string eventType, int deliveries)
    {
        _eventsPublished.Add(1, new KeyValuePair<string, object?>(MetricTags.EventType, eventType));
        _deliveriesCreated.Add(deliveries, new KeyValuePair<string, object?>(MetricTags.EventType, eventType));
    }

    public void PublishDuration(double milliseconds, bool batch) =>
        _publishDuration.Record(milliseconds, new KeyValuePair<string, object?>(MetricTags.Batch, batch));
}
