using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// GET, POST /v1/api-keys, DELETE /v1/api-keys/{id}.
public sealed partial class WebhooksClient
{
    /// <summary>The caller's API keys, or (for the tenant owner) every key of the tenant; <paramref name="userId"/>
    /// narrows to one user's. Never the keys themselves.</summary>
    public Task<Page<ApiKey>> ListApiKeysAsync(Guid? userId = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, new Query("/v1/api-keys").Add("userId", userId).Add("limit", limit).Add("cursor", cursor).ToString(), null,
            ApiKeysJson.Default.PageApiKey, ct);

    /// <summary>Issues an API key, shown only in this answer. Only the tenant owner may issue one for another user.</summary>
    public Task<CreatedApiKey> CreateApiKeyAsync(NewApiKey key, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/api-keys", Json(key, ApiKeysJson.Default.NewApiKey), ApiKeysJson.Default.CreatedApiKey, ct);

    /// <summary>Revokes a key: every Api process refuses it within 2 s.</summary>
    public Task RevokeApiKeyAsync(Guid id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/api-keys/{id}", null, ct);
}

/// <param name="ExpiresAt">When the key stops working; null: never.</param>
/// <param name="UserId">The user the key acts as; by default the caller.</param>
public sealed record NewApiKey(string Name, DateTimeOffset? ExpiresAt = null, Guid? UserId = null);

/// <param name="Prefix">The key's first characters, to tell keys apart.</param>
public record ApiKey(Guid Id, string Name, string Prefix, Guid UserId, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt,
    DateTimeOffset? ExpiresAt);

/// <param name="Key">The key (<c>whk_…</c>), shown only here.</param>
public sealed record CreatedApiKey(Guid Id, string Name, string Prefix, Guid UserId, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt,
    DateTimeOffset? ExpiresAt, string Key) : ApiKey(Id, Name, Prefix, UserId, CreatedAt, LastUsedAt, ExpiresAt);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Page<ApiKey>))]
[JsonSerializable(typeof(NewApiKey))]
[JsonSerializable(typeof(CreatedApiKey))]
internal sealed partial class ApiKeysJson : JsonSerializerContext;
