using System.Text.Json;
using System.Text.Json.Serialization;
using Webhooks.Events;

namespace Webhooks.Client;

// POST /v1/events, POST /v1/events/batch, GET /v1/events/{id}.
public sealed partial class WebhooksClient
{
    /// <summary>
    /// Publishes one event to every webhook subscribed to its type. Without <paramref name="idempotencyKey"/> the
    /// client makes one up, so a retry after a lost answer (which the client does by itself) returns the same event
    /// instead of making a second. Pass your own key (a sale id, say) to make your own retries idempotent too.
    /// </summary>
    public Task<PublishedEvent> PublishAsync<TEvent>(TEvent data, string? idempotencyKey = null, CancellationToken ct = default)
        where TEvent : IWebhookEvent<TEvent> =>
        PublishAsync(TEvent.Type, EventJson.ToElement(data), idempotencyKey, ct);

    /// <summary>Publishes an event given as JSON, for types and shapes this client version does not know.</summary>
    public Task<PublishedEvent> PublishAsync(string type, JsonElement data, string? idempotencyKey = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/events", Json(new PublishRequest(type, data), EventsJson.Default.PublishRequest),
            EventsJson.Default.PublishedEvent, ct, idempotencyKey ?? NewIdempotencyKey());

    /// <summary>
    /// Publishes up to 1000 events in one request and one transaction: all are accepted or none. Events without an
    /// idempotency key get one made up, as with <see cref="PublishAsync{TEvent}"/>. Build items with
    /// <see cref="BatchEvent.Of{TEvent}"/>.
    /// </summary>
    public async Task<IReadOnlyList<PublishedEvent>> PublishBatchAsync(IEnumerable<BatchEvent> events, CancellationToken ct = default)
    {
        var batch = NewIdempotencyKey();
        var items = events.Select((e, i) => e.IdempotencyKey is null ? e with { IdempotencyKey = $"{batch}-{i}" } : e).ToList();
        var response = await SendAsync(HttpMethod.Post, "/v1/events/batch",
            Json(new PublishBatchRequest(items), EventsJson.Default.PublishBatchRequest), EventsJson.Default.PublishBatchResponse,
            ct, repeatable: true).ConfigureAwait(false);
        return response.Items;
    }

    /// <summary>An event with the state of each of its deliveries.</summary>
    public Task<EventDetails> GetEventAsync(Guid id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v1/events/{id}", null, EventsJson.Default.EventDetails, ct);

    private static string NewIdempotencyKey() => Guid.CreateVersion7().ToString("N");
}

/// <summary>One event of a batch publish.</summary>
public sealed record BatchEvent(string Type, JsonElement Data, string? IdempotencyKey = null)
{
    public static BatchEvent Of<TEvent>(TEvent data, string? idempotencyKey = null) where TEvent : IWebhookEvent<TEvent> =>
        new(TEvent.Type, EventJson.ToElement(data), idempotencyKey);
}

/// <summary>An accepted event and one delivery per active webhook subscribed to its type.</summary>
public sealed record PublishedEvent(Guid Id, string Type, DateTimeOffset CreatedAt, IReadOnlyList<PublishedDelivery> Deliveries);

public sealed record PublishedDelivery(Guid Id, Guid WebhookId, DeliveryStatus Status);

/// <summary>An event as stored, with its deliveries.</summary>
public sealed record EventDetails(Guid Id, string Type, JsonElement Data, string? IdempotencyKey, DateTimeOffset CreatedAt,
    IReadOnlyList<EventDelivery> Deliveries)
{
    /// <summary>The data as its catalog record, e.g. <c>details.DataAs&lt;SaleCreated&gt;()</c>.</summary>
    public TEvent DataAs<TEvent>() where TEvent : IWebhookEvent<TEvent> => EventJson.FromElement<TEvent>(Data);
}

public sealed record EventDelivery(Guid Id, Guid WebhookId, DeliveryStatus Status, int AttemptCount, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? CompletedAt);

internal sealed record PublishRequest(string Type, JsonElement Data);

internal sealed record PublishBatchRequest(IReadOnlyList<BatchEvent> Events);

internal sealed record PublishBatchResponse(IReadOnlyList<PublishedEvent> Items);

/// <summary>Event records to and from JSON through their source-generated contract.</summary>
internal static class EventJson
{
    public static JsonElement ToElement<TEvent>(TEvent data) where TEvent : IWebhookEvent<TEvent> =>
        JsonSerializer.SerializeToElement(data, TypeInfo<TEvent>());

    public static TEvent FromElement<TEvent>(JsonElement data) where TEvent : IWebhookEvent<TEvent> =>
        data.Deserialize(TypeInfo<TEvent>()) ?? throw new JsonException($"The data of a {TEvent.Type} event is null.");

    private static System.Text.Json.Serialization.Metadata.JsonTypeInfo<TEvent> TypeInfo<TEvent>() =>
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<TEvent>)EventsJsonContext.Default.GetTypeInfo(typeof(TEvent))!;
}

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PublishRequest))]
[JsonSerializable(typeof(PublishBatchRequest))]
[JsonSerializable(typeof(PublishBatchResponse))]
[JsonSerializable(typeof(PublishedEvent))]
[JsonSerializable(typeof(EventDetails))]
internal sealed partial class EventsJson : JsonSerializerContext;
