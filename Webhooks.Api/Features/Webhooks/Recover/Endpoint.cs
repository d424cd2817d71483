using Webhooks.Api.Features.Shared;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Core.Data;
using Webhooks.Core.Deliveries;

namespace Webhooks.Api.Features.Webhooks.Recover;

internal sealed class Endpoint(WebhooksDbContext db, DeliveryRequeue requeue, TimeProvider time) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/webhooks/{id:guid}/recover");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Requeue this webhook's failed deliveries created in [since, until) for one more attempt each.";
            s.Response<Response>(202, "How many deliveries were requeued, and how many were left to the attempt in flight.");
            s.BadRequest().Unauthorized().Forbidden("The admin key has no tenant.").NotFound().Conflict("The webhook is disabled.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var webhook = await db.Webhooks.VisibleTo(tenantId).AsNoTracking()
            .Where(w => w.Id == req.Id)
            .Select(w => new { w.Active })
            .FirstOrDefaultAsync(ct);
        if (webhook is null)
        {
            await Send.ResultAsync(WebhookQueries.NotFound());
            return;
        }
        if (!webhook.Active)
        {
            AddError(r => r.Id, "The webhook is disabled; re-enable it (PATCH active:true) before recovering its deliveries.");
            await Send.ErrorsAsync(409, ct);
            return;
        }

        var (requeued, inFlight) = await requeue.RequeueFailedAsync(db, req.Id, req.Since!.Value, req.Until ?? time.GetUtcNow(), ct);
        await Send.ResponseAsync(new Response(requeued, inFlight), 202, ct);
    }
}
