using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.PortalSessions.GetCurrent;

internal sealed class Endpoint(WebhooksDbContext db) : EndpointWithoutRequest<PortalSessionResponse>
{
    public override void Configure()
    {
        Get("/v1/portal-sessions/current");
        Policies(Auth.Policies.PortalSession);
        Summary(s =>
        {
            s.Summary = "The portal session whose token authenticates this request: its user, tenant and expiry.";
            s.Response<PortalSessionResponse>(200, "The session.");
            s.Unauthorized().Forbidden("Only a portal session token may call this route.");
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var sessionId = User.PortalSessionId()!.Value;
        var expiresAt = await db.PortalSessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => s.ExpiresAt).FirstAsync(ct);
        var (user, tenant) = await PortalSessionIssuer.DescribeUserAsync(db, User.UserId(), ct);
        await Send.OkAsync(new PortalSessionResponse(sessionId, expiresAt, user, tenant), ct);
    }
}
