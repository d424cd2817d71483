using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Deliveries.Get;

/// <summary>The delivery's fields (as in <see cref="DeliveryResponse"/>) and its attempts, oldest first.</summary>
internal sealed record Response(
    Guid Id, Guid EventId, Guid WebhookId, string EventType, DeliveryStatus Status, int AttemptCount,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, string? LastError,
    IReadOnlyList<Response.Attempt> Attempts)
{
    public static Response From(DeliveryResponse d, IReadOnlyList<Attempt> attempts) => new(
        d.Id, d.EventId, d.WebhookId, d.EventType, d.Status, d.AttemptCount, d.NextAttemptAt, d.CreatedAt, d.CompletedAt, d.LastError, attempts);

    internal sealed record Attempt(
        int Number, DateTimeOffset StartedAt, int DurationMs, IReadOnlyDictionary<string, string> RequestHeaders,
        int? ResponseStatus, IReadOnlyDictionary<string, string>? ResponseHeaders, string? ResponseBody, string? Error);
}
