using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Secrets;

namespace Webhooks.Api.Features.Webhooks.RotateSecret;

internal sealed class Endpoint(WebhooksDbContext db, SecretProtector protector, TimeProvider time) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/webhooks/{id:guid}/rotate-secret");
        Policies(Auth.Policies.TenantUser);
        // The body is optional: a bare POST (no Content-Type, hence */*) rotates with the default grace period.
        Description(b => b.Accepts<Request>(isOptional: true, "application/json", "*/*"));
        Summary(s =>
        {
            s.Summary = "Replaces a webhook's signing secret; the old one keeps signing for a grace period.";
            s.Description = "During the grace period every delivery carries one `webhook-signature` per live secret, so " +
                            "receivers can switch without missing a delivery. Rotating again during a grace period " +
                            "retires the older secret at once. The body may be left out.";
            s.Response<Response>(200, "The new secret (shown only here) and when the old one stops signing.");
            s.BadRequest().Unauthorized().Forbidden("The admin key has no tenant.").NotFound();
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var webhook = await db.Webhooks.VisibleTo(User.TenantId()).FirstOrDefaultAsync(w => w.Id == req.Id, ct);
        if (webhook is null)
        {
            await Send.ResultAsync(WebhookQueries.NotFound());
            return;
        }

        var now = time.GetUtcNowForDb();
        var grace = TimeSpan.FromSeconds(req.GraceSeconds ?? Request.DefaultGraceSeconds);
        var secret = WebhookSecret.Generate();
        webhook.PreviousSecretCiphertext = grace > TimeSpan.Zero ? webhook.SecretCiphertext : null;
        webhook.PreviousSecretExpiresAt = grace > TimeSpan.Zero ? now + grace : null;
        webhook.SecretCiphertext = protector.Protect(secret);
        webhook.UpdatedAt = now;
        await db.SaveChangesAsync(ct);

        await Send.OkAsync(new Response(secret, webhook.PreviousSecretExpiresAt), ct);
    }
}
