using System.Linq.Expressions;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Deliveries;

/// <summary>A delivery as every deliveries route shows it.</summary>
internal sealed record DeliveryResponse(
    Guid Id, Guid EventId, Guid WebhookId, string EventType, DeliveryStatus Status, int AttemptCount,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, string? LastError)
{
    public static readonly Expression<Func<Delivery, DeliveryResponse>> Projection = d => new DeliveryResponse(
        d.Id, d.EventId, d.WebhookId, d.Event!.Type, d.Status, d.AttemptCount, d.NextAttemptAt, d.CreatedAt, d.CompletedAt, d.LastError);
}
