using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Deliveries.List;

internal sealed class Endpoint(WebhooksDbContext db) : Endpoint<Request, Page<DeliveryResponse>>
{
    public override void Configure()
    {
        Get("/v1/deliveries");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Deliveries of the caller's tenant, newest first, filtered by webhookId, eventId, eventType, status and the time range since–until.";
            s.Response<Page<DeliveryResponse>>(200, "A page of deliveries.");
            s.BadRequest().Unauthorized().Forbidden("The admin key has no tenant.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var query = db.Deliveries.AsNoTracking().Where(d => d.TenantId == tenantId);
        if (req.WebhookId is { } webhookId) query = query.Where(d => d.WebhookId == webhookId);
        if (req.EventId is { } eventId) query = query.Where(d => d.EventId == eventId);
        if (req.ParsedStatus is { } status) query = query.Where(d => d.Status == status);
        if (req.Since is { } since) query = query.Where(d => d.CreatedAt >= since);
        if (req.Until is { } until) query = query.Where(d => d.CreatedAt < until);
        if (req.EventType is { } eventType) query = query.Where(d => d.Event!.Type == eventType);

        var rows = await query.PageByIdDescending(req, d => d.Id).Select(DeliveryResponse.Projection).ToListAsync(ct);
        await Send.OkAsync(PageCursor.ToPage(rows, req.Take, d => d.Id, d => d), ct);
    }
}
