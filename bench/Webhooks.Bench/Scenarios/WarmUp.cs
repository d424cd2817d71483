using System.Diagnostics;
using System.Net;
using Webhooks.Bench.Load;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Not measured: a few seconds of publishing (single and batch) and delivering, so that the JIT, the connection pools
/// and Postgres' caches are warm before anything is timed. It also finds out whether this build delivers at all.
/// </summary>
internal static class WarmUp
{
    private const string Label = "warm-up";

    public static async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var (tenant, inbox) = await context.TenantAsync("bench-warmup", "/warmup", 1, ct);
        using var client = context.ApiClient(tenant, 8);
        var batch = Payloads.Batch(100);
        var round = 0;

        async Task<Outcome> PublishAsync(CancellationToken c)
        {
            var isBatch = Interlocked.Increment(ref round) % 10 == 0;
            using var response = await client.PostAsync(isBatch ? "/v1/events/batch" : "/v1/events", Http.Json(isBatch ? batch : Payloads.Event), c);
            return response.StatusCode == HttpStatusCode.Accepted ? new Outcome(isBatch ? 100 : 1) : Outcome.Failed(await Http.DescribeAsync(response, c));
        }

        var duration = context.Options.Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5);
        var result = await FlatOut.RunAsync(Label, "events", 8, duration, PublishAsync, ct);
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
