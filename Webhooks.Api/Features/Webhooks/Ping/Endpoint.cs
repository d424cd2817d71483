using Webhooks.Api.Features.Shared;
using System.Diagnostics;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Core.Data;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Queue;

namespace Webhooks.Api.Features.Webhooks.Ping;

internal sealed class Endpoint(WebhooksDbContext db, DeliveryScheduler scheduler, TimeProvider time) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/webhooks/{id:guid}/ping");
        Policies(Auth.Policies.TenantUser);
        Description(b => b.Accepts<Request>(isOptional: true, "application/json", "*/*"));
        Summary(s =>
        {
            s.Summary = "Send a webhook.ping delivery to this webhook now, to check the endpoint and its signature check.";
            s.Response<Response>(202, "The ping delivery, due now.");
            s.Unauthorized().Forbidden("The admin key has no tenant.").NotFound().Conflict("The webhook is disabled.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var webhook = await db.Webhooks.VisibleTo(tenantId).AsNoTracking()
            .Where(w => w.Id == req.Id)
            .Select(w => new { w.Id, w.Active })
            .FirstOrDefaultAsync(ct);
        if (webhook is null)
        {
            await Send.ResultAsync(WebhookQueries.NotFound());
            return;
        }
        if (!webhook.Active)
        {
            AddError(r => r.Id, "The webhook is disabled; re-enable it (PATCH active:true) to ping it.");
            await Send.ErrorsAsync(409, ct);
            return;
        }

        var now = time.GetUtcNow();
        var delivery = await scheduler.CommitThenScheduleAsync(
            () => NewDeliveries.PingAsync(db, tenantId, webhook.Id, now, Activity.Current?.Id, ct),
            d => [(new QueuedDelivery(d.Id, d.WebhookId, d.TenantId), now)]);
        await Send.ResponseAsync(new Response(delivery.Id, delivery.EventId), 202, ct);
    }
}
