using System.Security.Claims;
using Webhooks.Client;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Webhooks.Portal.Auth;

/// <summary>What the portal's session cookie holds: who is signed in, and the Api credential of their portal session.
/// The ticket is data-protected, so the credential is neither readable nor forgeable in the browser.</summary>
internal static class PortalCookie
{
    public const string Name = ".Webhooks.Portal.Session";

    public const string CredentialType = "webhooks:credential";
    public const string SessionIdType = "webhooks:session_id";
    public const string TenantIdType = "webhooks:tenant_id";
    public const string TenantNameType = "webhooks:tenant_name";
    public const string OwnerRole = "owner";

    public static Task SignInAsync(HttpContext http, NewPortalSession session)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, session.User.Id.ToString()),
            new Claim(ClaimTypes.Name, session.User.Name),
            new Claim(ClaimTypes.Email, session.User.Email),
            new Claim(ClaimTypes.Role, session.User.Role),
            new Claim(TenantIdType, session.Tenant.Id.ToString()),
            new Claim(TenantNameType, session.Tenant.Name),
            new Claim(SessionIdType, session.Id.ToString()),
            new Claim(CredentialType, session.Token),
        ], CookieAuthenticationDefaults.AuthenticationScheme);
        return http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { ExpiresUtc = session.ExpiresAt, IsPersistent = false, AllowRefresh = false });
    }

    public static Task SignOutAsync(HttpContext http) => http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);

    /// <summary>The Api credential of the signed-in user's portal session, or null when nobody is signed in.</summary>
    public static string? Credential(this ClaimsPrincipal user) => user.FindFirstValue(CredentialType);

    public static string TenantName(this ClaimsPrincipal user) => user.FindFirstValue(TenantNameType) ?? "";

    public static bool IsOwner(this ClaimsPrincipal user) => user.IsInRole(OwnerRole);
}
