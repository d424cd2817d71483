using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

// POST /v1/portal-links, POST /v1/portal-links/redeem, POST /v1/portal-sessions, GET and DELETE /v1/portal-sessions/current.
public sealed partial class WebhooksClient
{
    /// <summary>Mints a one-time sign-in link to the tenant portal for the caller, to send a user straight in.</summary>
    public Task<PortalLink> CreatePortalLinkAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/portal-links", null, PortalJson.Default.PortalLink, ct);

    /// <summary>Spends a portal link's token and opens a portal session for its user. Needs no key: the token is the
    /// credential. A used, expired or unknown token is a <see cref="WebhooksValidationException"/> naming <c>token</c>.</summary>
    public Task<NewPortalSession> RedeemPortalLinkAsync(string token, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/portal-links/redeem", Json(new RedeemPortalLink(token), PortalJson.Default.RedeemPortalLink),
            PortalJson.Default.NewPortalSession, ct);

    /// <summary>Opens a portal session for the caller's API key: its token acts with the key's rights until it expires,
    /// is ended, or the key is revoked.</summary>
    public Task<NewPortalSession> OpenPortalSessionAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/portal-sessions", null, PortalJson.Default.NewPortalSession, ct);

    /// <summary>The portal session whose token this client calls with.</summary>
    public Task<PortalSession> GetCurrentPortalSessionAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "/v1/portal-sessions/current", null, PortalJson.Default.PortalSession, ct);

    /// <summary>Signs out: revokes the portal session whose token this client calls with.</summary>
    public Task EndPortalSessionAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, "/v1/portal-sessions/current", null, ct);
}

/// <param name="Url">Opens the portal signed in as the caller, once, until <paramref name="ExpiresAt"/>.</param>
public sealed record PortalLink(string Url, DateTimeOffset ExpiresAt);

public sealed record PortalSession(Guid Id, DateTimeOffset ExpiresAt, PortalUser User, PortalTenant Tenant);

/// <param name="Token">The session's bearer credential (<c>whps_…</c>), shown only here.</param>
public sealed record NewPortalSession(Guid Id, string Token, DateTimeOffset ExpiresAt, PortalUser User, PortalTenant Tenant);

/// <param name="Role"><c>owner</c> or <c>member</c>.</param>
public sealed record PortalUser(Guid Id, string Email, string Name, string Role);

public sealed record PortalTenant(Guid Id, string Name);

internal sealed record RedeemPortalLink(string Token);

// This file's own source-generated JSON (see WebhooksClient).
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PortalLink))]
[JsonSerializable(typeof(PortalSession))]
[JsonSerializable(typeof(NewPortalSession))]
[JsonSerializable(typeof(RedeemPortalLink))]
internal sealed partial class PortalJson : JsonSerializerContext;
