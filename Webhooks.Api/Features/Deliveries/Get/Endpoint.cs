using Webhooks.Api.Features.Shared;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Deliveries.Get;

internal sealed class Endpoint(WebhooksDbContext db) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Get("/v1/deliveries/{id:guid}");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "A delivery with every attempt: request headers, response status, headers and body (≤ 10 KB), duration, error.";
            s.Response<Response>(200, "The delivery and its attempts, oldest first.");
            s.Unauthorized().Forbidden("The admin key has no tenant.").NotFound("No such delivery in the caller's tenant.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var delivery = await db.Deliveries.AsNoTracking()
            .Where(d => d.Id == req.Id && d.TenantId == tenantId)
            .Select(DeliveryResponse.Projection)
            .FirstOrDefaultAsync(ct);
        if (delivery is null)
        {
            await Send.ResultAsync(Problems.NotFound("delivery"));
            return;
        }
        var attempts = await db.DeliveryAttempts.AsNoTracking()
            .Where(a => a.DeliveryId == req.Id)
            .OrderBy(a => a.Number)
            .Select(a => new Response.Attempt(a.Number, a.StartedAt, a.DurationMs, a.RequestHeaders, a.ResponseStatus,
                a.ResponseHeaders, a.ResponseBody, a.Error))
            .ToListAsync(ct);
        await Send.OkAsync(Response.From(delivery, attempts), ct);
    }
}
