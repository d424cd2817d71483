using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// GET /v1/event-types.
public sealed partial class WebhooksClient
{
    /// <summary>The event catalog: every type a webhook may subscribe to, with the JSON Schema and an example of its
    /// <c>data</c>.</summary>
    public Task<IReadOnlyList<EventType>> ListEventTypesAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "/v1/event-types", null, EventTypesJson.Default.IReadOnlyListEventType, ct);
}

/// <summary>An entry of the event catalog.</summary>
/// <param name="Name">e.g. <c>sale.created</c>.</param>
/// <param name="Schema">JSON Schema (draft 2020-12) of the event's <c>data</c>.</param>
/// <param name="Example">An example <c>data</c>.</param>
public sealed record EventType(string Name, string Description, JsonElement? Schema, JsonElement? Example);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<EventType>))]
internal sealed partial class EventTypesJson : JsonSerializerContext;
