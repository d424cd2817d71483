using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// POST /v1/users (tenant owner).
public sealed partial class WebhooksClient
{
    /// <summary>Adds a user to the caller's tenant and issues the user's API key, shown only in this answer. Tenant
    /// owner only.</summary>
    public Task<CreatedUser> CreateUserAsync(NewUser user, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/users", Json(user, UsersJson.Default.NewUser), UsersJson.Default.CreatedUser, ct);
}

public sealed record NewUser(string Email, string Name);

/// <param name="ApiKey">The new user's API key. Shown only here: store it now.</param>
public sealed record CreatedUser(Guid Id, string Email, string Name, DateTimeOffset CreatedAt, string ApiKey);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NewUser))]
[JsonSerializable(typeof(CreatedUser))]
internal sealed partial class UsersJson : JsonSerializerContext;
