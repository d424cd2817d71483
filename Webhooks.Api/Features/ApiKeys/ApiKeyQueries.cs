using System.Security.Claims;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.ApiKeys;

internal static class ApiKeyQueries
{
    /// <summary>The OpenAPI tag of the api-keys routes (the path segment would make it "Api-Keys"; FastEndpoints title-cases
    /// tags, which keeps an all-capital word as it is).</summary>
    public const string Tag = "API Keys";

    /// <summary>The live (not revoked) keys the caller may see and revoke: the tenant owner's are every key of the
    /// tenant, a member's only their own. Any other key is simply not found.</summary>
    public static IQueryable<ApiKey> ManageableBy(this WebhooksDbContext db, ClaimsPrincipal caller)
    {
        var live = db.ApiKeys.Where(k => k.RevokedAt == null);
        if (!caller.IsOwner())
        {
            var userId = caller.UserId();
            return live.Where(k => k.UserId == userId);
        }
        var tenantId = caller.TenantId();
        return live.Where(k => db.Users.Any(u => u.Id == k.UserId && u.TenantId == tenantId));
    }

    /// <summary>The same answer whether the key never existed, was revoked, or belongs to someone the caller may not manage.</summary>
    public static IResult NotFound() => Problems.NotFound("API key");
}
