using System.Text.Json;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Signing;

/// <summary>
/// The request body: <c>{"id","type","timestamp","data"}</c>, built only from the stored event, so every attempt of every
/// delivery of one event sends the same bytes (and a receiver's dedupe by body hash or signature stays stable).
/// </summary>
public static class WebhookBody
{
    public static byte[] Create(Event @event) => Create(@event.Id, @event.Type, @event.CreatedAt, @event.Payload);

    /// <param name="dataJson">The published <c>data</c>, copied in as it is stored, never re-serialized.</param>
    public static byte[] Create(Guid eventId, string type, DateTimeOffset createdAt, string dataJson)
    {
        using var buffer = new MemoryStream(dataJson.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", eventId);
            writer.WriteString("type", type);
            // A UTC DateTime is written ISO 8601 with a trailing Z (and no trailing zeros in the fraction).
            writer.WriteString("timestamp", createdAt.UtcDateTime);
            writer.WritePropertyName("data");
            writer.WriteRawValue(dataJson);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
