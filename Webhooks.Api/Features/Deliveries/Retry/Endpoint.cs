using Webhooks.Api.Features.Shared;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Queue;

namespace Webhooks.Api.Features.Deliveries.Retry;

internal sealed class Endpoint(WebhooksDbContext db, DeliveryRequeue requeue) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/deliveries/{id:guid}/retry");
        Policies(Auth.Policies.TenantUser);
        Description(b => b.Accepts<Request>(isOptional: true, "application/json", "*/*"));
        Summary(s =>
        {
            s.Summary = "Queue one more attempt of a delivery now, whatever its status.";
            s.Response<Response>(202, "The delivery is due now.");
            s.Unauthorized().Forbidden("The admin key has no tenant.").NotFound("No such delivery in the caller's tenant.")
                .Conflict("The delivery's webhook is disabled or deleted, or an attempt of the delivery is in flight (nothing was changed).");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var found = await db.Deliveries.AsNoTracking()
            .Where(d => d.Id == req.Id && d.TenantId == tenantId)
            .Select(d => new { d.Status, d.WebhookId, d.Webhook!.Active, d.Webhook.DeletedAt })
            .FirstOrDefaultAsync(ct);
        if (found is null)
        {
            await Send.ResultAsync(Problems.NotFound("delivery"));
            return;
        }
        if (!found.Active || found.DeletedAt is not null)
        {
            AddError(r => r.Id, "The delivery's webhook is disabled or deleted; re-enable it (PATCH active:true) before retrying.");
            await Send.ErrorsAsync(409, ct);
            return;
        }
        var requeued = await requeue.RequeueAsync(db, [new QueuedDelivery(req.Id, found.WebhookId, tenantId)], ct);
        if (requeued.InFlight.Count > 0)
        {
            // Requeuing it would let a second Dispatcher send it while the first still is; nothing was changed.
            AddError(r => r.Id, "An attempt of this delivery is in flight now, so it was not requeued: two attempts never run at once. " +
                           "Retry once the attempt has ended (GET /v1/deliveries/{id} shows its result).");
            await Send.ErrorsAsync(409, ct);
            return;
        }
        var status = found.Status == DeliveryStatus.Pending ? DeliveryStatus.Pending : DeliveryStatus.Retrying;
        await Send.ResponseAsync(new Response(req.Id, status, requeued.DueAt), 202, ct);
    }
}
