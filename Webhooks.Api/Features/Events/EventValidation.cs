using System.Runtime.InteropServices;
using System.Text.Json;
using FluentValidation;
using Microsoft.Extensions.Options;
using Webhooks.Api.Http;
using Webhooks.Core.Data;
using Webhooks.Core.Options;

namespace Webhooks.Api.Features.Events;

/// <summary>Rules every published event follows, whether alone or in a batch.</summary>
internal static class EventValidation
{
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>Room for the envelope around a single event's <c>data</c> (type, JSON whitespace, escaping).</summary>
    public const long EnvelopeBytes = 64 * 1024;

    /// <summary>A batch carries up to 1000 events; 32 MiB keeps one request's memory bounded.</summary>
    public const long BatchBytes = 32L * 1024 * 1024;

    /// <summary>The body limit of a single publish: the largest <c>data</c> and its envelope.</summary>
    public static BodySizeLimit SingleEventBody { get; } =
        new(services => services.GetRequiredService<IOptions<EventsOptions>>().Value.MaxPayloadBytes + EnvelopeBytes);

    /// <summary>The <c>Webhooks:Events:MaxPayloadBytes</c> limit on an event's <c>data</c>, measured on the raw UTF-8 as
    /// received (what a UTF-8 encoding of the text would give) without copying the payload: over it is 413, naming the
    /// field.</summary>
    public static void ThrowIfTooLarge(JsonElement data, int maxBytes, string field)
    {
        if (JsonMarshal.GetRawUtf8Value(data).Length > maxBytes)
            throw new PayloadTooLargeException(maxBytes, field, "Webhooks:Events:MaxPayloadBytes");
    }

    public static IRuleBuilderOptions<T, string?> MustBePublishableType<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().WithMessage("type is required.")
            .Must(t => t is null || (EventCatalog.Contains(t) && t != EventCatalog.Ping))
            .WithMessage(t => "type must be one of the event catalog (GET /v1/event-types); webhook.ping is sent only by the ping route.");

    public static IRuleBuilderOptions<T, JsonElement> MustBeJsonObject<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(d => d.ValueKind == JsonValueKind.Object).WithMessage("data must be a JSON object.");

    /// <summary>Refuses what Postgres jsonb cannot store (see <see cref="StorableJson"/>), naming the JSON path of the
    /// value, e.g. <c>data.lines[2].sku</c>.</summary>
    public static IRuleBuilderOptionsConditions<T, JsonElement> MustBeStorable<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Custom((data, context) =>
        {
            if (data.ValueKind != JsonValueKind.Object || StorableJson.FindUnstorable(data, "data") is not var (path, reason)) return;
            // Inside a batch, FluentValidation puts the item's place (events[3].) in front.
            context.AddFailure(path, $"{path} {reason}.");
        });

    public static IRuleBuilderOptions<T, string?> MustBeIdempotencyKey<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(k => k is null || (k.Length is > 0 and <= MaxIdempotencyKeyLength && !k.Any(char.IsControl)))
            .WithMessage($"idempotency key must be 1 to {MaxIdempotencyKeyLength} printable characters.");
}
