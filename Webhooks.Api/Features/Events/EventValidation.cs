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

    /// <summary>With Webhooks:Events:ValidateSchemas on, data that breaks its type's schema fails with one error per
    /// problem, named by its path (<c>data.lines[0].quantity</c>). Off, this costs one flag read.</summary>
    /// <param name="type">The event's type, read from the item being validated.</param>
    /// <param name="schemas">Resolved per request: FastEndpoints keeps one validator per process, shared by every host.</param>
    public static IRuleBuilderOptionsConditions<T, JsonElement> MustMatchItsSchema<T>(this IRuleBuilder<T, JsonElement> rule,
        Func<T, string?> type, Func<EventDataSchemas> schemas) =>
        rule.Custom((data, context) =>
        {
            var checker = schemas();
            if (!checker.Enabled || data.ValueKind != JsonValueKind.Object || type(context.InstanceToValidate) is not { } name) return;
            // Failures are named relative to the rule's chain (FluentValidation prefixes a batch item's "Events[2]."),
            // so the name starts at the property itself; the message spells the whole path.
            var field = CamelCase(context.PropertyPath); // Data → data, Events[2].Data → events[2].data
            var own = field[(field.LastIndexOf('.') + 1)..];
            foreach (var (path, message) in checker.Problems(name, data)) context.AddFailure(own + path, $"{field}{path}: {message}");
        });

    private static string CamelCase(string path) =>
        string.Join('.', path.Split('.').Select(s => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..]));

    public static IRuleBuilderOptions<T, string?> MustBeIdempotencyKey<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(k => k is null || (k.Length is > 0 and <= MaxIdempotencyKeyLength && !k.Any(char.IsControl)))
            .WithMessage($"idempotency key must be 1 to {MaxIdempotencyKeyLength} printable characters.");
}
