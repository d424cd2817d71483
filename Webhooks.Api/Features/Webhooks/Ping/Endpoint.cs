using Webhooks.Api.Features.Shared;
using System.Diagnostics;
using System.Text.Json;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;
using Webhooks.Events;

namespace Webhooks.Api.Features.Webhooks.Ping;

internal sealed class Endpoint(WebhooksDbContext db, DeliveryQueue queue, TimeProvider time) : Endpoint<Request, Response>
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
            AddError("id", "The webhook is disabled; re-enable it (PATCH active:true) to ping it.");
            await Send.ErrorsAsync(409, ct);
            return;
        }

        var now = time.GetUtcNow();
        var ping = new Event
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Type = EventCatalog.Ping,
            Payload = JsonSerializer.Serialize(new WebhookPing(webhook.Id), EventsJsonContext.Default.WebhookPing),
            CreatedAt = now,
            TraceParent = Activity.Current?.Id,
        };
        var delivery = new Delivery
        {
            Id = Guid.CreateVersion7(now), TenantId = tenantId, EventId = ping.Id, WebhookId = webhook.Id,
            Status = DeliveryStatus.Pending, NextAttemptAt = now, CreatedAt = now,
        };
        db.Events.Add(ping);
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        await queue.ScheduleCommittedAsync([(delivery.Id, now)]);
        await Send.ResponseAsync(new Response(delivery.Id, ping.Id), 202, ct);
    }
}
