using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Deliveries.Retry;

internal sealed record Response(Guid Id, DeliveryStatus Status, DateTimeOffset NextAttemptAt);
