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
        rule.Must(d => d.ValueKind == JsonValueKind.Object).WithMessage("data must be a JSON object.")
            // Postgres jsonb cannot store the NUL character; refused here rather than failing at insert. Searched in the
            // raw UTF-8 as received: no copy of the payload per check. JSON spells the escape with a lower-case u.
            .Must(d => d.ValueKind != JsonValueKind.Object || JsonMarshal.GetRawUtf8Value(d).IndexOf("\\u0000"u8) < 0)
            .WithMessage("data may not contain the NUL character (\\u0000).");

    public static IRuleBuilderOptions<T, string?> MustBeIdempotencyKey<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(k => k is null || (k.Length is > 0 and <= MaxIdempotencyKeyLength && !k.Any(char.IsControl)))
            .WithMessage($"idempotency key must be 1 to {MaxIdempotencyKeyLength} printable characters.");
}
