using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Webhooks.Bench.Load;
using Webhooks.Bench.Receiving;
using Webhooks.Bench.Reporting;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Single publishes at a fixed rate (500 events/s by default), each event for one webhook. Latency is the event's
/// <c>createdAt</c> (the Api's clock when it accepted the event) to the delivery's arrival at the receiver (the same
/// machine's clock), so it covers commit, schedule, claim, load, sign and POST.
/// </summary>
internal sealed class LatencyScenario : IScenario
{
    private const int MaxInFlight = 256;

    public string Name => "latency";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        await context.QuietAsync(Name, ct);
        var (tenant, inbox) = await context.TenantAsync("bench-latency", "/latency", 1, ct);
        using var client = context.ApiClient(tenant, MaxInFlight);
        var total = (int)(o.LatencyRate * o.LatencyDuration.TotalSeconds);
        var accepted = new (Guid Id, DateTimeOffset CreatedAt, DateTime Sent)[total];

        async Task<Outcome> PublishAsync(int index, CancellationToken c)
        {
            var sent = TimeProvider.System.GetUtcNow().UtcDateTime;
            using var response = await client.PostAsync("/v1/events", Http.Json(Payloads.Event), c);
            if (response.StatusCode != HttpStatusCode.Accepted) return Outcome.Failed(await Http.DescribeAsync(response, c));
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(c), cancellationToken: c);
            accepted[index] = (json.RootElement.GetProperty("id").GetGuid(), json.RootElement.GetProperty("createdAt").GetDateTimeOffset(), sent);
            return new Outcome(1);
        }

        LoadResult publish;
        using (context.MeasureCpu(Name))
            publish = await Paced.RunAsync(Name, o.LatencyRate, o.LatencyDuration, MaxInFlight, PublishAsync, ct);

        var events = accepted.Where(a => a.Id != Guid.Empty).ToList();
        await WaitForArrivalsAsync(context, inbox, events.Count, ct);
        var firstArrival = inbox.Arrivals.GroupBy(a => a.EventId).ToDictionary(g => g.Key, g => g.Min(a => a.Ticks));
        var endToEnd = new List<double>();
        var fromSend = new List<double>();
        foreach (var e in events)
        {
            if (!firstArrival.TryGetValue(e.Id, out var ticks)) continue;
            endToEnd.Add(TimeSpan.FromTicks(ticks - e.CreatedAt.UtcTicks).TotalMilliseconds);
            fromSend.Add(TimeSpan.FromTicks(ticks - e.Sent.Ticks).TotalMilliseconds);
        }
        var latency = Latency.Of(endToEnd);
        var missing = events.Count - endToEnd.Count;
        context.Report.Details[Name] = new
        {
            rate = o.LatencyRate, seconds = o.LatencyDuration.TotalSeconds, publish = publish.Summary, accepted = events.Count,
            delivered = endToEnd.Count, missing, acceptedToReceivedMs = latency, sentToReceivedMs = Latency.Of(fromSend),
        };

        var raw = context.RawPaced is { } r ? $"HTTP round trip at {o.LatencyRate}/s: p50 {r.Latency.P50:0.0} / p99 {r.Latency.P99:0.0} ms" : "not measured (run `raw`)";
        var value = endToEnd.Count == 0
            ? context.NoDeliveries(Name)
            : latency + (missing > 0 ? $"; {missing:N0} of {events.Count:N0} never arrived" : "");
        context.Report.Add(new Figure(Name, $"End-to-end latency at {o.LatencyRate} events/s (accepted → received)", value,
            "p50 ≤ 5 ms, p99 ≤ 25 ms", raw, endToEnd.Count == 0 ? null : missing == 0 && latency.P50 <= 5 && latency.P99 <= 25));
        context.Report.Add(new Figure(Name, $"Publish request at {o.LatencyRate} events/s (client round trip)",
            publish.Latency + publish.ErrorSuffix, Figure.None, raw, null));
    }

    private static async Task WaitForArrivalsAsync(BenchContext context, Inbox inbox, int expected, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var lastChange = started;
        var last = inbox.Deliveries;
        while (inbox.Deliveries < expected && Stopwatch.GetElapsedTime(started) < context.Options.DispatchTimeout)
        {
            var quietFor = inbox.Deliveries == 0 ? context.FirstDeliveryTimeout : TimeSpan.FromSeconds(5);
            if (Stopwatch.GetElapsedTime(lastChange) > quietFor) return;
            await Task.Delay(100, ct);
            if (inbox.Deliveries != last) (last, lastChange) = (inbox.Deliveries, Stopwatch.GetTimestamp());
        }
    }
}
