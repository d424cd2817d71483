namespace Webhooks.Api.Features.Webhooks.Stats;

/// <summary>Attempts to one webhook over a recent window, whole and in 24 buckets oldest first.</summary>
/// <param name="Until">Now, when the figures were read; the window is [from, until).</param>
internal sealed record Response(Guid WebhookId, DateTimeOffset From, DateTimeOffset Until, int BucketSeconds, Figures Total,
    IReadOnlyList<Bucket> Buckets);

internal sealed record Bucket(DateTimeOffset Start, Figures Figures);

/// <param name="Succeeded">Attempts answered with a 2xx.</param>
/// <param name="SuccessRate">Succeeded / attempts, 0–1; null when there was no attempt.</param>
/// <param name="P50DurationMs">Median attempt duration; null when there was no attempt.</param>
/// <param name="P95DurationMs">95th percentile of attempt duration; null when there was no attempt.</param>
internal sealed record Figures(int Attempts, int Succeeded, int Failed, double? SuccessRate, double? P50DurationMs, double? P95DurationMs)
{
    public static Figures Of(int attempts, int succeeded, double? p50, double? p95) =>
        new(attempts, succeeded, attempts - succeeded, attempts == 0 ? null : (double)succeeded / attempts, p50, p95);
}
