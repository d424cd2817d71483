using System.Security.Claims;

namespace Webhooks.Api.Auth;

public static class ApiClaims
{
    public const string TenantIdType = "webhooks:tenant_id";
    public const string UserIdType = "webhooks:user_id";
    /// <summary>Present when the caller authenticated with a portal session token rather than an API key.</summary>
    public const string PortalSessionIdType = "webhooks:portal_session_id";
    /// <summary>Present when the caller authenticated with an API key: the key's id.</summary>
    public const string ApiKeyIdType = "webhooks:api_key_id";

    /// <summary>The caller's tenant; only valid behind the TenantUser or TenantOwner policy.</summary>
    public static Guid TenantId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(TenantIdType)!);

    /// <summary>The caller's user id; only valid behind the TenantUser or TenantOwner policy.</summary>
    public static Guid UserId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(UserIdType)!);

    /// <summary>The portal session the caller signed in with, or null for an API key.</summary>
    public static Guid? PortalSessionId(this ClaimsPrincipal user) =>
        user.FindFirstValue(PortalSessionIdType) is { } id ? Guid.Parse(id) : null;

    /// <summary>The API key the caller authenticated with, or null for a portal session.</summary>
    public static Guid? ApiKeyId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyIdType) is { } id ? Guid.Parse(id) : null;

    /// <summary>Whether the caller is its tenant's owner (who manages every user's keys).</summary>
    public static bool IsOwner(this ClaimsPrincipal user) => user.IsInRole(Roles.Owner);
}

public static class Roles
{
    public const string Admin = "admin";
    public const string Owner = "owner";
    public const string Member = "member";
}

public static class Policies
{
    public const string Admin = "Admin";
    public const string TenantUser = "TenantUser";
    public const string TenantOwner = "TenantOwner";
    /// <summary>A tenant user's API key, not a portal session token.</summary>
    public const string TenantApiKey = "TenantApiKey";
    /// <summary>A portal session token.</summary>
    public const string PortalSession = "PortalSession";
}
