using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// POST and GET /v1/users (tenant owner).
public sealed partial class WebhooksClient
{
    /// <summary>Adds a user to the caller's tenant and issues the user's API key, shown only in this answer. Tenant
    /// owner only.</summary>
    public Task<CreatedUser> CreateUserAsync(NewUser user, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/users", Json(user, UsersJson.Default.NewUser), UsersJson.Default.CreatedUser, ct);

    /// <summary>The users of the caller's tenant, newest first. Tenant owner only.</summary>
    public Task<Page<User>> ListUsersAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, new Query("/v1/users").Add("limit", limit).Add("cursor", cursor).ToString(), null,
            UsersJson.Default.PageUser, ct);
}

public sealed record NewUser(string Email, string Name);

/// <param name="ApiKey">The new user's API key. Shown only here: store it now.</param>
public sealed record CreatedUser(Guid Id, string Email, string Name, DateTimeOffset CreatedAt, string ApiKey);

/// <param name="Role"><c>owner</c> or <c>member</c>.</param>
public sealed record User(Guid Id, string Email, string Name, string Role, DateTimeOffset CreatedAt);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NewUser))]
[JsonSerializable(typeof(CreatedUser))]
[JsonSerializable(typeof(Page<User>))]
internal sealed partial class UsersJson : JsonSerializerContext;
