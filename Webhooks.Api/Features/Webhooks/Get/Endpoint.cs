using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Webhooks.Get;

internal sealed class Endpoint(WebhooksDbContext db) : Endpoint<Request, WebhookResponse>
{
    public override void Configure()
    {
        Get("/v1/webhooks/{id:guid}");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "One webhook of the caller's tenant, with its health (never its secret).";
            s.Response<WebhookResponse>(200, "The webhook.");
            s.Unauthorized().Forbidden("The admin key has no tenant.").NotFound();
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var webhook = await db.Webhooks.VisibleTo(User.TenantId()).AsNoTracking().FirstOrDefaultAsync(w => w.Id == req.Id, ct);
        if (webhook is null)
        {
            await Send.ResultAsync(WebhookQueries.NotFound());
            return;
        }
        await Send.OkAsync(new WebhookResponse(webhook), ct);
    }
}
