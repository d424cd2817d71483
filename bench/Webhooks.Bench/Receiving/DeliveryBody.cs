using System.Buffers;
using System.Text.Json;

namespace Webhooks.Bench.Receiving;

/// <summary>Reads the event id out of a delivery body (<c>{"id":"…","type":…}</c>) without materializing the rest.</summary>
internal static class DeliveryBody
{
    public static Guid EventId(ReadOnlySequence<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return Guid.Empty;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                if (!reader.Read()) break;
                if (isId) return reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var id) ? id : Guid.Empty;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return Guid.Empty;
    }
}
