using Webhooks.Api.Features.Shared;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Deliveries;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Webhooks.Recover;

internal sealed class Endpoint(WebhooksDbContext db, DeliveryRequeue requeue, TimeProvider time) : Endpoint<Request, Response>
{
    // Requeued in chunks so one recovery of a long outage never holds a huge statement or a huge Redis call.
    private const int Chunk = 1000;

    public override void Configure()
    {
        Post("/v1/webhooks/{id:guid}/recover");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Requeue this webhook's failed deliveries created in [since, until) for one more attempt each.";
            s.Response<Response>(202, "How many deliveries were requeued.");
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
            AddError("id", "The webhook is disabled; re-enable it (PATCH active:true) before recovering its deliveries.");
            await Send.ErrorsAsync(409, ct);
            return;
        }

        var since = req.Since!.Value;
        var until = req.Until ?? time.GetUtcNow();
        var requeued = 0;
        var after = Guid.Empty;
        while (true)
        {
            var ids = await db.Deliveries.AsNoTracking()
                .Where(d => d.WebhookId == req.Id && d.Status == DeliveryStatus.Failed && d.CreatedAt >= since && d.CreatedAt < until
                            && d.Id.CompareTo(after) > 0)
                .OrderBy(d => d.Id).Select(d => d.Id).Take(Chunk).ToListAsync(ct);
            if (ids.Count == 0) break;
            await requeue.RequeueAsync(ids, ct);
            requeued += ids.Count;
            after = ids[^1];
        }
        await Send.ResponseAsync(new Response(requeued), 202, ct);
    }
}
