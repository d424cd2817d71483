using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// GET /v1/webhooks/{id}/stats.
public sealed partial class WebhooksClient
{
    /// <summary>Success rate and latency of a webhook's attempts over the last <paramref name="hours"/> (1–168,
    /// default 24), whole and in 24 buckets.</summary>
    public Task<WebhookStats> GetWebhookStatsAsync(Guid id, int? hours = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, new Query($"/v1/webhooks/{id}/stats").Add("hours", hours).ToString(), null,
            WebhookStatsJson.Default.WebhookStats, ct);
}

/// <param name="Buckets">24 equal slices of [<paramref name="From"/>, <paramref name="Until"/>), oldest first.</param>
public sealed record WebhookStats(Guid WebhookId, DateTimeOffset From, DateTimeOffset Until, int BucketSeconds, AttemptFigures Total,
    IReadOnlyList<AttemptBucket> Buckets);

public sealed record AttemptBucket(DateTimeOffset Start, AttemptFigures Figures);

/// <param name="SuccessRate">Share of attempts answered 2xx, 0–1; null without attempts.</param>
public sealed record AttemptFigures(int Attempts, int Succeeded, int Failed, double? SuccessRate, double? P50DurationMs, double? P95DurationMs);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookStats))]
internal sealed partial class WebhookStatsJson : JsonSerializerContext;
