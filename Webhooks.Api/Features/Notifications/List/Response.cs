using System.Text.Json;

namespace Webhooks.Api.Features.Notifications.List;

/// <param name="Kind"><c>webhook.failing</c> or <c>webhook.disabled</c>.</param>
/// <param name="Details">consecutiveFailures, lastStatusCode, lastError, deliveryId, webhookId, url (and reason when disabled).</param>
/// <param name="ReadAt">Null until marked read.</param>
internal sealed record Response(Guid Id, Guid WebhookId, string Kind, string Message, JsonElement Details, DateTimeOffset CreatedAt,
    DateTimeOffset? ReadAt);
