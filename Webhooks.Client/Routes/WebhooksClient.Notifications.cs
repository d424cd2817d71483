using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// GET /v1/notifications, POST /v1/notifications/{id}/read.
public sealed partial class WebhooksClient
{
    /// <summary>The caller's notifications (alerts about failing and disabled webhooks), newest first.</summary>
    public Task<Page<Notification>> ListNotificationsAsync(bool unreadOnly = false, int? limit = null, string? cursor = null,
        CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get,
            new Query("/v1/notifications").Add("unread", unreadOnly ? true : null).Add("limit", limit).Add("cursor", cursor).ToString(),
            null, NotificationsJson.Default.PageNotification, ct);

    /// <summary>Marks one of the caller's notifications read (again: keeps the first read time).</summary>
    public Task MarkNotificationReadAsync(Guid id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"/v1/notifications/{id}/read", null, ct);
}

/// <param name="Kind"><c>webhook.failing</c> or <c>webhook.disabled</c>.</param>
/// <param name="Details">consecutiveFailures, lastStatusCode, lastError, deliveryId, webhookId, url (and reason when disabled).</param>
public sealed record Notification(Guid Id, Guid WebhookId, string Kind, string Message, JsonElement Details, DateTimeOffset CreatedAt,
    DateTimeOffset? ReadAt);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Page<Notification>))]
internal sealed partial class NotificationsJson : JsonSerializerContext;
