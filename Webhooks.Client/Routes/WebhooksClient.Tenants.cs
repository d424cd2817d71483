using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// POST /v1/tenants (admin key).
public sealed partial class WebhooksClient
{
    /// <summary>Creates a tenant with its owner and the owner's API key, shown only in this answer. Admin key only
    /// (see <see cref="WithApiKey"/>).</summary>
    public Task<CreatedTenant> CreateTenantAsync(NewTenant tenant, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/tenants", Json(tenant, TenantsJson.Default.NewTenant), TenantsJson.Default.CreatedTenant, ct);
}

public sealed record NewTenant(string Name, NewTenantOwner Owner);

public sealed record NewTenantOwner(string Email, string Name);

/// <param name="ApiKey">The owner's API key. Shown only here: store it now.</param>
public sealed record CreatedTenant(Guid Id, string Name, DateTimeOffset CreatedAt, TenantOwner Owner, string ApiKey);

public sealed record TenantOwner(Guid Id, string Email, string Name, DateTimeOffset CreatedAt);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NewTenant))]
[JsonSerializable(typeof(CreatedTenant))]
internal sealed partial class TenantsJson : JsonSerializerContext;
