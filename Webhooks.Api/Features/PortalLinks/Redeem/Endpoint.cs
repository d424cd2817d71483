using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Features.PortalSessions;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.PortalLinks.Redeem;

internal sealed class Endpoint(WebhooksDbContext db, PortalSessionIssuer issuer, TimeProvider time) : Endpoint<Request, NewPortalSessionResponse>
{
    public const string Refused = "This sign-in link is unknown, already used or expired; ask for a new one.";

    public override void Configure()
    {
        Post("/v1/portal-links/redeem");
        AllowAnonymous(); // the token is the credential
        Summary(s =>
        {
            s.Summary = "Spends a one-time portal link and opens a portal session for its user (what the portal does with a link).";
            s.Description = "Works once per link and only before the link's `expiresAt`; every refusal reads the same, so a " +
                "token cannot be probed. The session's `token` then acts with the user's rights until it expires or is revoked.";
            s.Response<NewPortalSessionResponse>(201, "The session and its token (shown once).");
            s.BadRequest("`token` is missing, unknown, already used or expired; `errors` names `token`.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var hash = PortalTokens.Hash(req.Token!);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var link = await db.PortalLinks.AsNoTracking().Where(l => l.Hash == hash).Select(l => new { l.Id, l.UserId }).FirstOrDefaultAsync(ct);
        // The conditional update is the one place a link is spent: of two redemptions racing, exactly one matches a row.
        var spent = link is not null && await db.PortalLinks
            .Where(l => l.Id == link.Id && l.RedeemedAt == null && l.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.RedeemedAt, now), ct) == 1;
        if (!spent) ThrowError(r => r.Token, Refused);

        var session = await issuer.IssueAsync(db, link!.UserId, apiKeyId: null, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        await Send.ResponseAsync(session, StatusCodes.Status201Created, ct);
    }
}
