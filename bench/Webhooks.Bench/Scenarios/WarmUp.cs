using System.Diagnostics;
using System.Net;
using Webhooks.Bench.Load;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Not measured: half a minute of publishing (single, batch, and some to an endpoint that fails each first attempt,
/// so the retry and failure paths run too) and delivering, so that the JIT, the connection pools and Postgres' caches
/// are warm before anything is timed. Half a minute because that is what it takes: with 5 s of warm-up, perf found the
/// runtime's tier-up compiler still using ~23% of the Api's and the Dispatcher's CPU 25–40 s after start, a cost a
/// long-running service pays once. It also finds out whether this build delivers at all.
/// </summary>
internal static class WarmUp
{
    private const string Label = "warm-up";

    /// <summary>Requests per second: paced, so the Dispatcher keeps up and the warm-up leaves no backlog behind.</summary>
    private const int Rate = 500;

    public static async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var (tenant, inbox) = await context.TenantAsync("bench-warmup", "/warmup", 1, ct);
        var (failing, _) = await context.TenantAsync("bench-warmup-failing", "/fail-first/warmup", 1, ct);
        using var client = context.ApiClient(tenant, 8);
        using var failingClient = context.ApiClient(failing, 8);
        var batch = Payloads.Batch(50);

        async Task<Outcome> PublishAsync(int index, CancellationToken c)
        {
            var isBatch = index % 100 == 0;
            var sender = index % 10 == 5 ? failingClient : client;
            using var response = await sender.PostAsync(isBatch ? "/v1/events/batch" : "/v1/events", Http.Json(isBatch ? batch : Payloads.Event), c);
            return response.StatusCode == HttpStatusCode.Accepted ? new Outcome(isBatch ? 50 : 1) : Outcome.Failed(await Http.DescribeAsync(response, c));
        }

        var duration = context.Options.Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(30);
        var result = await Paced.RunAsync(Label, Rate, duration, 64, PublishAsync, ct);
        if (result.Items == 0) throw new InvalidOperationException($"The warm-up could not publish a single event: {result.FirstError}");

        var waited = Stopwatch.GetTimestamp();
        while (inbox.Deliveries == 0 && Stopwatch.GetElapsedTime(waited) < context.Options.FirstDeliveryTimeout)
            await Task.Delay(100, ct);
        context.DispatcherDelivers = inbox.Deliveries > 0;
        if (!context.DispatcherDelivers)
        {
            const string note = "No delivery arrived during the warm-up: this build's Dispatcher does not deliver yet, so dispatch, latency and retry could not be measured.";
            ProgressLine.Say(Label, note);
            context.Report.Note(note);
        }
        else
        {
            await context.QuietAsync(Label, ct);
        }
    }
}
