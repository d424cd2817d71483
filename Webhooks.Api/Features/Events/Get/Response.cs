using System.Text.Json;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Events.Get;

internal sealed record Response(
    Guid Id, string Type, JsonElement Data, string? IdempotencyKey, DateTimeOffset CreatedAt, IReadOnlyList<Response.DeliverySummary> Deliveries)
{
    internal sealed record DeliverySummary(
        Guid Id, Guid WebhookId, DeliveryStatus Status, int AttemptCount, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);
}
