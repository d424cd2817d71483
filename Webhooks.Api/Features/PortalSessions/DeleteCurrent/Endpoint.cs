using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.PortalSessions.DeleteCurrent;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : EndpointWithoutRequest
{
    public override void Configure()
    {
        Delete("/v1/portal-sessions/current");
        Policies(Auth.Policies.PortalSession);
        Summary(s =>
        {
            s.Summary = "Signs out: revokes the portal session whose token authenticates this request.";
            s.Description = "Sessions are not cached, so every Api process refuses the token from the next request on.";
            s.Responses[204] = "Revoked.";
            s.Unauthorized().Forbidden("Only a portal session token may call this route.");
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var sessionId = User.PortalSessionId()!.Value;
        var now = time.GetUtcNow();
        await db.PortalSessions.Where(s => s.Id == sessionId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), ct);
        await Send.NoContentAsync(ct);
    }
}
