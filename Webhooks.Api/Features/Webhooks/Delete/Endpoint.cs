using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Deliveries;

namespace Webhooks.Api.Features.Webhooks.Delete;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : Endpoint<Request>
{
    public override void Configure()
    {
        Delete("/v1/webhooks/{id:guid}");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Deletes a webhook; its pending and retrying deliveries end as failed.";
            s.Description = "The webhook stops receiving events at once and is not found afterwards. Its delivery " +
                            "history stays readable until retention removes it.";
            s.Response(204, "Deleted.");
            s.Unauthorized().Forbidden("The admin key has no tenant.").NotFound();
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        // Soft delete and the end of its deliveries are one change: no delivery may stay live for a deleted webhook.
        // A delivery whose attempt a Dispatcher is recording right now is locked by that Dispatcher, which then waits
        // for this webhook's row (its failure count): waiting for that delivery while holding the webhook would
        // deadlock. So the transaction skips it, and a second pass, holding nothing, waits for it and ends it.
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var webhook = await db.Webhooks.VisibleTo(tenantId).FirstOrDefaultAsync(w => w.Id == req.Id, ct);
            if (webhook is null)
            {
                await Send.ResultAsync(WebhookQueries.NotFound());
                return;
            }

            var now = time.GetUtcNowForDb();
            webhook.DeletedAt = now;
            webhook.Active = false;
            webhook.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            await DeliveryEnding.EndLiveOfWebhookAsync(db, webhook.Id, DeliveryEnding.WebhookDeleted, now, skipLocked: true, ct);
            await tx.CommitAsync(ct);
        }
        await DeliveryEnding.EndLiveOfWebhookAsync(db, req.Id, DeliveryEnding.WebhookDeleted, time.GetUtcNowForDb(), skipLocked: false,
            CancellationToken.None);
        await Send.NoContentAsync(ct);
    }
}
