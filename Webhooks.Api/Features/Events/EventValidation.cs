using System.Text.Json;
using FluentValidation;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Events;

/// <summary>Rules every published event follows, whether alone or in a batch.</summary>
internal static class EventValidation
{
    public const int MaxIdempotencyKeyLength = 255;

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
