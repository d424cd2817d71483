using System.Diagnostics;
using Webhooks.Bench.Load;
using Webhooks.Bench.Receiving;
using Webhooks.Bench.Reporting;
using Webhooks.Bench.Tracing;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Single publishes at fixed rates (20, 100 and 500 events/s by default, one after the other), each event for one
/// webhook. Each delivery's arrival at the receiver is measured from the start of the client's publish call (what a
/// publisher waits: the issue 17 targets) and from the event's <c>createdAt</c> (the Api's clock when it accepted the
/// event, so it covers commit, schedule, claim, read, sign and POST), beside the publish call's own round trip and the
/// pipeline's CPU per event. With <c>--breakdown</c> the services' spans say where each millisecond went.
/// </summary>
internal sealed class LatencyScenario : IScenario
{
    private const int MaxInFlight = 256;

    public string Name => "latency";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var (tenant, inbox) = await context.TenantAsync("bench-latency", "/latency", 1, ct);
        using var client = context.ApiClient(tenant, MaxInFlight);
        var details = new Dictionary<string, object>();
        foreach (var rate in context.Options.LatencyRates) details[$"{rate}/s"] = await RunRateAsync(context, client, inbox, rate, ct);
        context.Report.Details[Name] = details;
    }

    private async Task<object> RunRateAsync(BenchContext context, HttpClient client, Inbox inbox, int rate, CancellationToken ct)
    {
        var o = context.Options;
        var label = $"{Name} {rate}/s";
        await context.QuietAsync(label, ct);
        var duration = o.LatencyDurationAt(rate);
        var idleCoresUsed = await IdleCoresUsedAsync(context, ct);
        var deliveredBefore = inbox.Deliveries;
        var cpuStart = context.CpuSecondsNow();
        var window = Stopwatch.GetTimestamp();
        var tracesFrom = context.Traces?.Received ?? 0;
        PublishedEvents published;
        using (context.MeasureCpu(label))
        {
            published = await PacedPublishing.RunAsync(label, client, rate, duration, MaxInFlight, ct, traced: o.Breakdown);
            await WaitForArrivalsAsync(context, inbox, deliveredBefore, published.Accepted.Count, ct);
        }
        var cpu = PipelineCpu.Between(cpuStart, context.CpuSecondsNow(), published.Accepted.Count)
            .WithIdle(idleCoresUsed, Stopwatch.GetElapsedTime(window).TotalSeconds);
        var arrivals = published.ArrivalsIn(inbox);
        var roundTrip = published.RoundTrip;
        var target = Target.At(rate);

        var raw = context.RawPaced is { } r ? $"HTTP round trip at 500/s: p50 {r.Latency.P50:0.0} / p99 {r.Latency.P99:0.0} ms" : "not measured (run `raw`)";
        var traced = o.Breakdown ? " — services exporting spans" : "";
        var delivered = arrivals.FromCall.Count > 0;
        context.Report.Add(new Figure(Name, $"End-to-end latency at {rate} events/s (publish call → received{traced})",
            delivered ? arrivals.FromCall + arrivals.MissingSuffix() : context.NoDeliveries(Name),
            $"p50 ≤ {target.P50} ms, p99 ≤ {target.P99} ms", raw,
            delivered ? arrivals.Missing == 0 && arrivals.FromCall.P50 <= target.P50 && arrivals.FromCall.P99 <= target.P99 : null));
        context.Report.Add(new Figure(Name, $"End-to-end latency at {rate} events/s (accepted → received)",
            delivered ? arrivals.FromAcceptance.ToString() : context.NoDeliveries(Name), Figure.None, raw, null));
        context.Report.Add(new Figure(Name, $"Publish round trip at {rate} events/s (client: call → 202 read)",
            roundTrip + published.Load.ErrorSuffix, target.RoundTripP50 is { } p ? $"p50 ≤ {p} ms" : Figure.None, raw,
            target.RoundTripP50 is { } limit && roundTrip.Count > 0 ? roundTrip.P50 <= limit && published.Load.Errors == 0 : null));
        context.Report.Add(cpu.Row(Name, $"latency at {rate} events/s", o.Breakdown ? ", spans exported" : null));

        LatencyBreakdown? breakdown = null;
        if (context.Traces is { } traces)
        {
            breakdown = await LatencyBreakdown.CollectAsync(traces, tracesFrom, published, inbox, ct);
            context.Report.Sections.Add(breakdown.Render($"Latency breakdown at {rate} events/s"));
        }
        return new
        {
            rate, seconds = duration.TotalSeconds, publish = published.Load.Summary, accepted = published.Accepted.Count,
            delivered = arrivals.FromCall.Count, missing = arrivals.Missing, callToReceivedMs = arrivals.FromCall,
            acceptedToReceivedMs = arrivals.FromAcceptance, roundTripMs = roundTrip, pipelineCpu = cpu.Summary,
            breakdown = breakdown?.Summary,
        };
    }

    /// <summary>Issue 17's targets, measured from the start of the publish call: at low rates, where most deployments
    /// live, and at 500/s.</summary>
    private sealed record Target(double P50, double P99, double? RoundTripP50)
    {
        public static Target At(int rate) => rate <= 100 ? new(4, 15, 2) : new(5, 25, null);
    }

    /// <summary>What the pipeline's processes use with nothing to do, over a few seconds of quiet (see
    /// <see cref="PipelineCpu.IdleMs"/>).</summary>
    private static async Task<double> IdleCoresUsedAsync(BenchContext context, CancellationToken ct)
    {
        var seconds = context.Options.Quick ? 1 : 3;
        var start = context.CpuSecondsNow();
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        return PipelineCpu.IdleCoresUsed(start, context.CpuSecondsNow(), Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Waits until <paramref name="expected"/> more deliveries than <paramref name="before"/> have arrived, or
    /// they stop coming.</summary>
    private static async Task WaitForArrivalsAsync(BenchContext context, Inbox inbox, long before, int expected, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var lastChange = started;
        var last = inbox.Deliveries;
        while (inbox.Deliveries < before + expected && Stopwatch.GetElapsedTime(started) < context.Options.DispatchTimeout)
        {
            var quietFor = inbox.Deliveries == before ? context.FirstDeliveryTimeout : TimeSpan.FromSeconds(5);
            if (Stopwatch.GetElapsedTime(lastChange) > quietFor) return;
            await Task.Delay(20, ct);
            if (inbox.Deliveries != last) (last, lastChange) = (inbox.Deliveries, Stopwatch.GetTimestamp());
        }
    }
}
