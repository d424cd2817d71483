using FastEndpoints;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.PortalSessions.Create;

internal sealed class Endpoint(WebhooksDbContext db, PortalSessionIssuer issuer) : EndpointWithoutRequest<NewPortalSessionResponse>
{
    public override void Configure()
    {
        Post("/v1/portal-sessions");
        Policies(Auth.Policies.TenantApiKey);
        Summary(s =>
        {
            s.Summary = "Opens a tenant portal session for the caller: what the portal does when a user signs in with an API key.";
            s.Description = "The returned `token` acts with the caller's rights until `expiresAt` " +
                "(`Webhooks:Portal:SessionLifetime`) or until `DELETE /v1/portal-sessions/current` revokes it, so the portal " +
                "never has to keep the API key itself. It also ends when that API key is revoked or expires. Only its hash is " +
                "stored. A session token cannot open another session.";
            s.Response<NewPortalSessionResponse>(201, "The session and its token (shown once).");
            s.Unauthorized().Forbidden("The admin key has no tenant, and a portal session cannot open another.");
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var session = await issuer.IssueAsync(db, User.UserId(), User.ApiKeyId(), ct);
        await db.SaveChangesAsync(ct);
        await Send.ResponseAsync(session, StatusCodes.Status201Created, ct);
    }
}
