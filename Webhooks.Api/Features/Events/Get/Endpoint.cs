using Webhooks.Api.Features.Shared;
using System.Text.Json;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Events.Get;

internal sealed class Endpoint(WebhooksDbContext db) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Get("/v1/events/{id:guid}");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "An event with the state of each of its deliveries.";
            s.Response<Response>(200, "The event.");
            s.Unauthorized().Forbidden("The admin key has no tenant.").NotFound("No such event in the caller's tenant.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var found = await db.Events.AsNoTracking()
            .Where(e => e.Id == req.Id && e.TenantId == tenantId)
            .Select(e => new
            {
                e.Id, e.Type, e.Payload, e.IdempotencyKey, e.CreatedAt,
                Deliveries = db.Deliveries.Where(d => d.EventId == e.Id).OrderBy(d => d.Id)
                    .Select(d => new Response.DeliverySummary(d.Id, d.WebhookId, d.Status, d.AttemptCount, d.NextAttemptAt, d.CompletedAt))
                    .ToList(),
            })
            .FirstOrDefaultAsync(ct);
        if (found is null)
        {
            await Send.ResultAsync(Problems.NotFound("event"));
            return;
        }
        using var data = JsonDocument.Parse(found.Payload);
        await Send.OkAsync(new Response(found.Id, found.Type, data.RootElement.Clone(), found.IdempotencyKey, found.CreatedAt, found.Deliveries), ct);
    }
}
