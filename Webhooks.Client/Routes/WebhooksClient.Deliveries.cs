using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// GET /v1/deliveries, GET /v1/deliveries/{id}, POST /v1/deliveries/{id}/retry.
public sealed partial class WebhooksClient
{
    /// <summary>Deliveries of the caller's tenant, newest first, filtered by the query's fields that are set.</summary>
    public Task<Page<Delivery>> ListDeliveriesAsync(DeliveryQuery? query = null, CancellationToken ct = default)
    {
        query ??= new DeliveryQuery();
        var path = new Query("/v1/deliveries")
            .Add("webhookId", query.WebhookId).Add("eventId", query.EventId)
            .Add("status", query.Status?.ToString().ToLowerInvariant()).Add("since", query.Since)
            .Add("limit", query.Limit).Add("cursor", query.Cursor);
        return SendAsync(HttpMethod.Get, path.ToString(), null, DeliveriesJson.Default.PageDelivery, ct);
    }

    /// <summary>A delivery with every attempt: request headers, response status, headers and body, duration, error.</summary>
    public Task<DeliveryDetails> GetDeliveryAsync(Guid id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v1/deliveries/{id}", null, DeliveriesJson.Default.DeliveryDetails, ct);

    /// <summary>Queues one more attempt of a delivery now, whatever its status.</summary>
    public Task<RetriedDelivery> RetryDeliveryAsync(Guid id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"/v1/deliveries/{id}/retry", null, DeliveriesJson.Default.RetriedDelivery, ct);
}

/// <summary>Filters of <see cref="WebhooksClient.ListDeliveriesAsync"/>; null means any.</summary>
public sealed record DeliveryQuery(Guid? WebhookId = null, Guid? EventId = null, DeliveryStatus? Status = null, DateTimeOffset? Since = null,
    int? Limit = null, string? Cursor = null);

public sealed record Delivery(Guid Id, Guid EventId, Guid WebhookId, string EventType, DeliveryStatus Status, int AttemptCount,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, string? LastError);

public sealed record DeliveryDetails(Guid Id, Guid EventId, Guid WebhookId, string EventType, DeliveryStatus Status, int AttemptCount,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, string? LastError,
    IReadOnlyList<DeliveryAttempt> Attempts);

/// <param name="ResponseStatus">Null when no answer came (timeout, refused connection); see <paramref name="Error"/>.</param>
public sealed record DeliveryAttempt(int Number, DateTimeOffset StartedAt, int DurationMs, IReadOnlyDictionary<string, string> RequestHeaders,
    int? ResponseStatus, IReadOnlyDictionary<string, string>? ResponseHeaders, string? ResponseBody, string? Error);

public sealed record RetriedDelivery(Guid Id, DeliveryStatus Status, DateTimeOffset NextAttemptAt);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Page<Delivery>))]
[JsonSerializable(typeof(DeliveryDetails))]
[JsonSerializable(typeof(RetriedDelivery))]
internal sealed partial class DeliveriesJson : JsonSerializerContext;
