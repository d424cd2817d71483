namespace Webhooks.Bench.Load;

/// <summary>Percentiles (nearest rank) of a set of durations in milliseconds.</summary>
internal sealed record Latency(int Count, double P50, double P95, double P99, double Max)
{
    public static Latency Of(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToArray();
        return sorted.Length == 0
            ? new Latency(0, double.NaN, double.NaN, double.NaN, double.NaN)
            : new Latency(sorted.Length, At(sorted, 0.50), At(sorted, 0.95), At(sorted, 0.99), sorted[^1]);
    }

    private static double At(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    public override string ToString() => Count == 0 ? "no samples" : $"p50 {P50:0.0} / p95 {P95:0.0} / p99 {P99:0.0} ms (max {Max:0.0}, n={Count:N0})";
}
