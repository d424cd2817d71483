using System.Text.Json;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Notifications.List;

internal sealed class Endpoint(WebhooksDbContext db) : Endpoint<Request, Page<Response>>
{
    public override void Configure()
    {
        Get("/v1/notifications");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "The caller's notifications, newest first.";
            s.Description = "Alerts about the tenant's webhooks sent to the calling user: `webhook.failing` at each alert threshold " +
                "of consecutive failures and `webhook.disabled` when a webhook was turned off. `?unread=true` leaves out those " +
                "marked read. Paged with `limit` and `cursor`.";
            s.Responses[200] = "A page of notifications and the cursor of the next page (null on the last).";
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var userId = User.UserId();
        var tenantId = User.TenantId();
        var query = db.Notifications.AsNoTracking().Where(n => n.UserId == userId && n.TenantId == tenantId);
        if (req.Unread == true) query = query.Where(n => n.ReadAt == null);
        var rows = await query.PageByIdDescending(req, n => n.Id).ToListAsync(ct);
        await Send.OkAsync(PageCursor.ToPage(rows, req.Take, n => n.Id, n => new Response(n.Id, n.WebhookId, n.Kind, n.Message,
            JsonSerializer.Deserialize<JsonElement>(n.Details), n.CreatedAt, n.ReadAt)), ct);
    }
}
