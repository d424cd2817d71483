using System.Security.Claims;

namespace Webhooks.Api.Auth;

public static class ApiClaims
{
    public const string TenantIdType = "webhooks:tenant_id";
    public const string UserIdType = "webhooks:user_id";

    /// <summary>The caller's tenant; only valid behind the TenantUser or TenantOwner policy.</summary>
    public static Guid TenantId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(TenantIdType)!);

    /// <summary>The caller's user id; only valid behind the TenantUser or TenantOwner policy.</summary>
    public static Guid UserId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(UserIdType)!);

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
}
