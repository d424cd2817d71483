using System.Diagnostics;
using Webhooks.Bench.Load;
using Webhooks.Bench.Receiving;
using Webhooks.Bench.Reporting;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Noisy neighbour (issue 14): a quiet tenant publishes single events at a steady rate, first with the box to itself,
/// then beside a slow tenant whose webhooks answer 200 only after <see cref="BenchOptions.FairnessSlowDelay"/>, fed
/// a steady stream too. Reports the quiet tenant's end-to-end latency (the event's <c>createdAt</c> to its arrival)
/// in both phases, and the slow tenant's deliveries/s beside the caps. Run it once as is (the default caps) and once
/// with <c>--caps off</c> (caps so high they never bind: the behaviour before the caps) to compare.
/// </summary>
internal sealed class FairnessScenario : IScenario
{
    private const int MaxInFlight = 64;

    public string Name => "fairness";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        await context.QuietAsync(Name, ct);
        var (quiet, quietInbox) = await context.TenantAsync("bench-fairness-quiet", "/fairness-quiet", 1, ct);
        var (slow, slowInbox) = await context.TenantAsync("bench-fairness-slow", "/fairness-slow", o.FairnessSlowWebhooks, ct);
        await context.Receiver.SetDelayAsync(slowInbox, o.FairnessSlowDelay, ct);
        using var quietClient = context.ApiClient(quiet, MaxInFlight);
        using var slowClient = context.ApiClient(slow, MaxInFlight);
        var caps = o.CapsLabel;

        ProgressLine.Say(Name, $"phase 1: the quiet tenant alone at {o.FairnessQuietRate}/s for {o.FairnessDuration.TotalSeconds:0} s");
        var alone = await QuietPhaseAsync(context, quietClient, quietInbox, "fairness quiet alone", ct);

        ProgressLine.Say(Name, $"phase 2: beside a slow tenant ({o.FairnessSlowWebhooks} webhooks answering after "
            + $"{o.FairnessSlowDelay.TotalSeconds:0} s, {o.FairnessSlowRate} events/s); {caps}");
        var slowBefore = slowInbox.Deliveries;
        var slowStarted = Stopwatch.GetTimestamp();
        var slowLoad = PacedPublishing.RunAsync("fairness slow", slowClient, o.FairnessSlowRate, o.FairnessDuration, MaxInFlight, ct);
        // The slow tenant first fills what it may take of the Dispatcher's send slots.
        await Task.Delay(o.FairnessSlowDelay, ct);
        var busy = await QuietPhaseAsync(context, quietClient, quietInbox, "fairness quiet beside slow", ct);
        await slowLoad;
        var slowRate = (slowInbox.Deliveries - slowBefore) / Stopwatch.GetElapsedTime(slowStarted).TotalSeconds;

        // Let the slow tenant's backlog drain quickly for the scenarios after this one.
        await context.Receiver.SetDelayAsync(slowInbox, TimeSpan.Zero, ct);

        context.Report.Details[Name] = new
        {
            caps, quietRate = o.FairnessQuietRate, seconds = o.FairnessDuration.TotalSeconds, slowRate = o.FairnessSlowRate,
            slowWebhooks = o.FairnessSlowWebhooks, slowDelaySeconds = o.FairnessSlowDelay.TotalSeconds,
            aloneMs = alone.Latency, busyMs = busy.Latency, aloneMissing = alone.Missing, busyMissing = busy.Missing,
            slowDeliveriesPerSecond = slowRate,
        };
        context.Report.Add(new Figure(Name, $"Quiet tenant alone, {o.FairnessQuietRate} events/s (accepted → received)",
            alone.Describe(), Figure.None, Figure.None, null));
        var met = busy.Latency.Count > 0 && busy.Missing == 0 && busy.Latency.P99 <= Math.Max(2 * alone.Latency.P99, 1) && busy.Latency.P99 <= 1000;
        context.Report.Add(new Figure(Name, $"Quiet tenant beside the slow one ({caps})", busy.Describe(),
            "p99 ≤ 2× alone and ≤ 1 s", Figure.None, busy.Latency.Count == 0 ? null : met));
        context.Report.Add(new Figure(Name, $"Slow tenant ({o.FairnessSlowWebhooks} webhooks, {o.FairnessSlowDelay.TotalSeconds:0} s each) deliveries/s ({caps})",
            $"{slowRate:0.0} deliveries/s", Figure.None, Figure.None, null));
    }

    private sealed record Phase(Latency Latency, int Missing, int Accepted)
    {
        public string Describe() => Latency.Count == 0 ? "no deliveries arrived"
            : Latency + (Missing > 0 ? $"; {Missing:N0} of {Accepted:N0} had not arrived when the scenario stopped waiting" : "");
    }

    /// <summary>The quiet tenant publishes at its rate for the phase, then waits (bounded) for its deliveries.</summary>
    private static async Task<Phase> QuietPhaseAsync(BenchContext context, HttpClient client, Inbox inbox, string label, CancellationToken ct)
    {
        var o = context.Options;
        var published = await PacedPublishing.RunAsync(label, client, o.FairnessQuietRate, o.FairnessDuration, MaxInFlight, ct);
        var waitUntil = Stopwatch.GetTimestamp() + (long)(o.FairnessDuration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < waitUntil && published.ArrivedIn(inbox) < published.Accepted.Count)
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        var arrivals = published.ArrivalsIn(inbox);
        return new Phase(arrivals.FromAcceptance, arrivals.Missing, arrivals.Accepted);
    }
}
