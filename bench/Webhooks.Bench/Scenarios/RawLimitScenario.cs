using Webhooks.Bench.Load;
using Webhooks.Bench.Reporting;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// The box's own limit for what the service does last: plain HttpClient POSTs of a delivery's body and headers to the
/// same receiver, with no service in between. Flat out for throughput, then at the latency scenario's rate for the
/// round trip's percentiles.
/// </summary>
internal sealed class RawLimitScenario : IScenario
{
    private const string Path = "/raw";
    private static readonly string Signature = new('a', 64);

    /// <summary>The rate of the paced round trips: the latency scenario's highest.</summary>
    private const int PacedRate = 500;

    public string Name => "raw";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        context.Receiver.At(Path);
        var body = Payloads.Delivery(Guid.CreateVersion7());
        using var client = Http.Create(new Uri(context.Receiver.BaseUrl), o.RawConcurrency);

        async Task<Outcome> PostAsync(CancellationToken c)
        {
            var deliveryId = Guid.CreateVersion7().ToString();
            var timestamp = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = Http.Json(body) };
            // The headers the Dispatcher sends, so the receiver parses as much as it does for a real delivery.
            request.Headers.Add("X-Webhook-Signature", Signature);
            request.Headers.Add("X-Webhook-Event", Payloads.EventType);
            request.Headers.Add("X-Webhook-Delivery", deliveryId);
            request.Headers.Add("X-Webhook-Timestamp", timestamp);
            request.Headers.Add("webhook-id", deliveryId);
            request.Headers.Add("webhook-timestamp", timestamp);
            request.Headers.Add("webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=");
            using var response = await client.SendAsync(request, c);
            return response.IsSuccessStatusCode ? new Outcome(1) : Outcome.Failed(await Http.DescribeAsync(response, c));
        }

        LoadResult flat;
        using (context.MeasureCpu(Name))
            flat = await FlatOut.RunAsync(Name, "requests", o.RawConcurrency, o.RawDuration, PostAsync, ct);
        var pacedFor = o.RawDuration < TimeSpan.FromSeconds(5) ? o.RawDuration : TimeSpan.FromSeconds(5);
        var paced = await Paced.RunAsync($"{Name} @{PacedRate}/s", PacedRate, pacedFor, maxInFlight: 256, (_, c) => PostAsync(c), ct);
        context.RawFlatOut = flat;
        context.RawPaced = paced;

        context.Report.Details[Name] = new { flatOut = flat.Summary, paced = paced.Summary, connections = o.RawConcurrency };
        context.Report.Add(new Figure(Name, $"Raw limit: HttpClient POST → receiver, no service ({o.RawConcurrency} connections)",
            $"{flat.RequestsPerSecond:N0} req/s{flat.ErrorSuffix}", Figure.None, "(this is it)", null));
        context.Report.Add(new Figure(Name, $"Raw limit: round trip at {PacedRate}/s",
            paced.Latency.ToString(), Figure.None, "(this is it)", null));
    }
}
