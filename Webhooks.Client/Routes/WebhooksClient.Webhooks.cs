using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// /v1/webhooks: create, list, get, update, delete, rotate-secret, ping, recover.
public sealed partial class WebhooksClient
{
    /// <summary>Registers a webhook; the answer carries its signing secret, shown only here.</summary>
    public Task<CreatedWebhook> CreateWebhookAsync(NewWebhook webhook, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/webhooks", Json(webhook, WebhooksJson.Default.NewWebhook), WebhooksJson.Default.CreatedWebhook, ct);

    public Task<Page<Webhook>> ListWebhooksAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, new Query("/v1/webhooks").Add("limit", limit).Add("cursor", cursor).ToString(), null,
            WebhooksJson.Default.PageWebhook, ct);

    public Task<Webhook> GetWebhookAsync(Guid id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v1/webhooks/{id}", null, WebhooksJson.Default.Webhook, ct);

    /// <summary>Changes the fields set in <paramref name="update"/>; the others stay as they are.</summary>
    public Task<Webhook> UpdateWebhookAsync(Guid id, WebhookUpdate update, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Patch, $"/v1/webhooks/{id}", Json(update, WebhooksJson.Default.WebhookUpdate), WebhooksJson.Default.Webhook, ct);

    /// <summary>Deletes a webhook; its pending and retrying deliveries end as failed.</summary>
    public Task DeleteWebhookAsync(Guid id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/webhooks/{id}", null, ct);

    /// <summary>Replaces the signing secret; the old one keeps signing beside it for <paramref name="gracePeriod"/>
    /// (default: the API's, one day; <see cref="TimeSpan.Zero"/> drops it at once).</summary>
    public Task<RotatedSecret> RotateWebhookSecretAsync(Guid id, TimeSpan? gracePeriod = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"/v1/webhooks/{id}/rotate-secret",
            Json(new RotateSecretRequest((int?)gracePeriod?.TotalSeconds), WebhooksJson.Default.RotateSecretRequest),
            WebhooksJson.Default.RotatedSecret, ct);

    /// <summary>Sends a <c>webhook.ping</c> delivery to the webhook now.</summary>
    public Task<WebhookPinged> PingWebhookAsync(Guid id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"/v1/webhooks/{id}/ping", null, WebhooksJson.Default.WebhookPinged, ct);

    /// <summary>Requeues the webhook's failed deliveries created in [<paramref name="since"/>, <paramref name="until"/>)
    /// for one more attempt each.</summary>
    public Task<WebhookRecovered> RecoverWebhookAsync(Guid id, DateTimeOffset since, DateTimeOffset? until = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"/v1/webhooks/{id}/recover",
            Json(new RecoverRequest(since, until), WebhooksJson.Default.RecoverRequest), WebhooksJson.Default.WebhookRecovered, ct);
}

/// <param name="Url">Absolute http(s) URL.</param>
/// <param name="Events">Catalog types to deliver (see <c>Webhooks.Events</c>, e.g. <c>SaleCreated.Type</c>).</param>
public sealed record NewWebhook(string Url, IReadOnlyList<string> Events, string? Description = null);

/// <summary>A webhook as the API shows it: never its secret.</summary>
public record Webhook
{
    public required Guid Id { get; init; }
    public required string Url { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyList<string> Events { get; init; }
    /// <summary>False when deactivated by a user or disabled after repeated failures (see <see cref="DisabledAt"/>).</summary>
    public required bool Active { get; init; }
    public required int ConsecutiveFailures { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    public DateTimeOffset? LastFailureAt { get; init; }
    /// <summary>Set when the service disabled the webhook; <c>UpdateWebhookAsync(id, new() { Active = true })</c> clears it.</summary>
    public DateTimeOffset? DisabledAt { get; init; }
    public string? DisabledReason { get; init; }
    public required Guid CreatedByUserId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A webhook just created, with its signing secret (<c>whsec_…</c>), shown only here.</summary>
public sealed record CreatedWebhook : Webhook
{
    public required string Secret { get; init; }
}

/// <summary>A partial update: only the properties set are sent. <see cref="Active"/> = true re-enables a webhook
/// (also one the service disabled) and resets its failure count.</summary>
public sealed record WebhookUpdate
{
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("events")] public IReadOnlyList<string>? Events { get; init; }
    [JsonIgnore] public string? Description { get; init; }
    /// <summary>Sends <c>"description": null</c>, which clears it (a null <see cref="Description"/> leaves it as it is).</summary>
    [JsonIgnore] public bool ClearDescription { get; init; }
    [JsonPropertyName("active")] public bool? Active { get; init; }

    // The API tells "leave it" (absent) from "clear it" (null); a plain string? property could only say the first.
    [JsonInclude, JsonPropertyName("description")]
    internal JsonElement? DescriptionJson => ClearDescription
        ? JsonSerializer.SerializeToElement<string?>(null, WebhooksJson.Default.String)
        : Description is null ? null : JsonSerializer.SerializeToElement(Description, WebhooksJson.Default.String);
}

/// <param name="PreviousSecretExpiresAt">Until when deliveries also carry a signature made with the old secret.</param>
public sealed record RotatedSecret(string Secret, DateTimeOffset? PreviousSecretExpiresAt);

public sealed record WebhookPinged(Guid DeliveryId, Guid EventId);

public sealed record WebhookRecovered(int Requeued);

internal sealed record RotateSecretRequest(int? GraceSeconds);

internal sealed record RecoverRequest(DateTimeOffset Since, DateTimeOffset? Until);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NewWebhook))]
[JsonSerializable(typeof(Webhook))]
[JsonSerializable(typeof(CreatedWebhook))]
[JsonSerializable(typeof(Page<Webhook>))]
[JsonSerializable(typeof(WebhookUpdate))]
[JsonSerializable(typeof(RotatedSecret))]
[JsonSerializable(typeof(WebhookPinged))]
[JsonSerializable(typeof(WebhookRecovered))]
[JsonSerializable(typeof(RotateSecretRequest))]
[JsonSerializable(typeof(RecoverRequest))]
[JsonSerializable(typeof(string))]
internal sealed partial class WebhooksJson : JsonSerializerContext;
