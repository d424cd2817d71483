using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.PortalSessions;

/// <summary>Opens portal sessions, whether from an API key (<c>POST /v1/portal-sessions</c>) or from a one-time link
/// (<c>POST /v1/portal-links/redeem</c>).</summary>
internal sealed class PortalSessionIssuer(IOptions<PortalOptions> options, TimeProvider time)
{
    /// <summary>Adds a session for the user to the unit of work (the caller saves) and returns it with its token.
    /// A session opened with an API key is bound to it: it ends when the key is revoked, and expires no later.</summary>
    public async Task<NewPortalSessionResponse> IssueAsync(WebhooksDbContext db, Guid userId, Guid? apiKeyId, CancellationToken ct)
    {
        var now = time.GetUtcNowForDb();
        var expiresAt = now + options.Value.SessionLifetime;
        if (apiKeyId is not null
            && await db.ApiKeys.Where(k => k.Id == apiKeyId).Select(k => k.ExpiresAt).FirstOrDefaultAsync(ct) is { } keyExpiresAt
            && keyExpiresAt < expiresAt)
            expiresAt = keyExpiresAt;
        var token = PortalTokens.Generate(PortalTokens.SessionPrefix);
        var session = new PortalSession
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Hash = PortalTokens.Hash(token),
            ApiKeyId = apiKeyId,
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        db.PortalSessions.Add(session);
        var (user, tenant) = await DescribeUserAsync(db, userId, ct);
        return new NewPortalSessionResponse(session.Id, token, session.ExpiresAt, user, tenant);
    }

    public static async Task<(SessionUser User, SessionTenant Tenant)> DescribeUserAsync(WebhooksDbContext db, Guid userId, CancellationToken ct)
    {
        var row = await (
            from user in db.Users.AsNoTracking()
            join tenant in db.Tenants.AsNoTracking() on user.TenantId equals tenant.Id
            where user.Id == userId
            select new { user.Id, user.Email, user.Name, TenantId = tenant.Id, TenantName = tenant.Name, IsOwner = tenant.OwnerUserId == user.Id })
            .FirstAsync(ct);
        return (new SessionUser(row.Id, row.Email, row.Name, row.IsOwner ? Roles.Owner : Roles.Member), new SessionTenant(row.TenantId, row.TenantName));
    }
}
