namespace Webhooks.Bench.Load;

/// <summary>What one request achieved: the items it got accepted (events, deliveries), or why it failed.</summary>
internal readonly record struct Outcome(int Items, string? Error = null)
{
    public static Outcome Failed(string error) => new(0, error);
}

/// <summary>A finished load run.</summary>
internal sealed record LoadResult(long Requests, long Items, long Errors, TimeSpan Elapsed, double[] LatenciesMs, string? FirstError)
{
    public double ItemsPerSecond => Elapsed > TimeSpan.Zero ? Items / Elapsed.TotalSeconds : 0;
    public double RequestsPerSecond => Elapsed > TimeSpan.Zero ? Requests / Elapsed.TotalSeconds : 0;
    public Latency Latency => Latency.Of(LatenciesMs);
    public string ErrorSuffix => Errors == 0 ? "" : $" ({Errors:N0} errors, first: {FirstError})";

    /// <summary>The numbers, for the JSON file.</summary>
    public object Summary => new
    {
        requests = Requests, items = Items, errors = Errors, seconds = Elapsed.TotalSeconds,
        itemsPerSecond = ItemsPerSecond, latencyMs = Latency, firstError = FirstError,
    };
}
