namespace Webhooks.Api.Features.Webhooks.Ping;

internal sealed record Response(Guid DeliveryId, Guid EventId);
