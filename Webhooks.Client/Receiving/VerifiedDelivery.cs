using System.Text.Json;
using System.Text.Json.Serialization;
using StandardWebhooks.Diagnostics;
using Webhooks.Events;

namespace Webhooks.Client.Receiving;

/// <summary>A delivery whose signatures checked out: <c>{"id", "type", "timestamp", "data"}</c> and its headers' ids.</summary>
/// <param name="WebhookId">The <c>webhook-id</c> header: the delivery id, the same on every retry. Dedupe on it.</param>
/// <param name="EventId">The event's id (one event reaches each subscribed webhook as a delivery of its own).</param>
/// <param name="SignedAt">This attempt's <c>webhook-timestamp</c>.</param>
public sealed record VerifiedDelivery(string WebhookId, Guid EventId, string Type, DateTimeOffset Timestamp, JsonElement Data, DateTimeOffset SignedAt)
{
    /// <summary>The data as its catalog record, e.g. <c>delivery.DataAs&lt;SaleCreated&gt;()</c> when
    /// <see cref="Type"/> is <c>SaleCreated.Type</c>.</summary>
    public TEvent DataAs<TEvent>() where TEvent : IWebhookEvent<TEvent> => EventJson.FromElement<TEvent>(Data);

    internal static VerifiedDelivery Parse(string webhookId, DateTimeOffset signedAt, string body)
    {
        DeliveryBody? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, ReceivingJson.Default.DeliveryBody);
        }
        catch (JsonException e)
        {
            throw new WebhookVerificationException($"The signed body is not a delivery: {e.Message}");
        }
        if (parsed is null) throw new WebhookVerificationException("The signed body is not a delivery.");
        return new VerifiedDelivery(webhookId, parsed.Id, parsed.Type, parsed.Timestamp, parsed.Data, signedAt);
    }
}

internal sealed record DeliveryBody(Guid Id, string Type, DateTimeOffset Timestamp, JsonElement Data);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeliveryBody))]
internal sealed partial class ReceivingJson : JsonSerializerContext;
