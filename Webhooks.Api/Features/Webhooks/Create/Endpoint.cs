using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Webhooks.Api.Limits;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Secrets;

namespace Webhooks.Api.Features.Webhooks.Create;

internal sealed class Endpoint(WebhooksDbContext db, SecretProtector protector, IOptions<LimitsOptions> limits, TimeProvider time)
    : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/webhooks");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Registers a webhook for the caller's tenant and returns its signing secret (once).";
            s.Description = "The `secret` signs every delivery (`X-Webhook-Signature`, `webhook-signature`). It is stored " +
                            "encrypted and never shown again; rotate it with POST /v1/webhooks/{id}/rotate-secret.";
            s.Response<Response>(201, "The webhook, with its signing secret.");
            s.BadRequest().Unauthorized().Forbidden("The admin key has no tenant.")
                .Conflict("The tenant already has as many webhooks as it may (Webhooks:Limits:WebhooksPerTenant).");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var now = time.GetUtcNowForDb();
        var secret = WebhookSecret.Generate();
        var webhook = new Webhook
        {
            Id = Guid.CreateVersion7(now),
            TenantId = User.TenantId(),
            Url = req.Url!,
            Description = req.Description,
            Events = [.. req.Events!],
            Active = true,
            SecretCiphertext = protector.Protect(secret),
            CreatedByUserId = User.UserId(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        var tenantId = webhook.TenantId;
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            // Creates of one tenant queue on its row, so that two of them cannot both see room for one more. NO KEY
            // UPDATE: the foreign-key checks of the tenant's publishes (KEY SHARE) do not wait for it.
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM tenants WHERE id = {tenantId} FOR NO KEY UPDATE", ct);
            if (await db.Webhooks.CountAsync(w => w.TenantId == tenantId && w.DeletedAt == null, ct) >= limits.Value.WebhooksPerTenant)
            {
                await Send.ResultAsync(LimitProblems.WebhooksPerTenant(limits.Value.WebhooksPerTenant));
                return;
            }
            db.Webhooks.Add(webhook);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        HttpContext.Response.Headers.Location = $"/v1/webhooks/{webhook.Id}";
        await Send.ResponseAsync(new Response(webhook, secret), StatusCodes.Status201Created, ct);
    }
}
