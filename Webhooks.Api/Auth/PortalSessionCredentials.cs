using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;

namespace Webhooks.Api.Auth;

/// <summary>Finds the live portal session a <c>whps_</c> token belongs to. Unlike API keys these lookups are not
/// cached: a signed-out session (or one whose API key was revoked) must be refused by every Api process at once, and
/// portal traffic is light.</summary>
internal static class PortalSessionCredentials
{
    public static async Task<Claim[]?> FindAsync(WebhooksDbContext db, byte[] hash, DateTimeOffset now, CancellationToken ct)
    {
        var found = await (
            from session in db.PortalSessions
            join user in db.Users on session.UserId equals user.Id
            join tenant in db.Tenants on user.TenantId equals tenant.Id
            where session.Hash == hash && session.RevokedAt == null && session.ExpiresAt > now
                  // A session opened with an API key lives no longer than the key.
                  && (session.ApiKeyId == null || db.ApiKeys.Any(k => k.Id == session.ApiKeyId && k.RevokedAt == null
                      && (k.ExpiresAt == null || k.ExpiresAt > now)))
            select new { session.Id, UserId = user.Id, user.TenantId, IsOwner = tenant.OwnerUserId == user.Id }).AsNoTracking().FirstOrDefaultAsync(ct);
        return found is null
            ? null
            :
            [
                new Claim(ApiClaims.UserIdType, found.UserId.ToString()),
                new Claim(ApiClaims.TenantIdType, found.TenantId.ToString()),
                new Claim(ClaimTypes.Role, found.IsOwner ? Roles.Owner : Roles.Member),
                new Claim(ApiClaims.PortalSessionIdType, found.Id.ToString()),
            ];
    }
}
