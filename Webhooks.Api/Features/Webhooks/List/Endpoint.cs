using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Webhooks.List;

internal sealed class Endpoint(WebhooksDbContext db) : Endpoint<Request, Page<WebhookResponse>>
{
    public override void Configure()
    {
        Get("/v1/webhooks");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "The caller's tenant's webhooks, newest first, a page at a time (never their secrets).";
            s.Description = "Pass `nextCursor` back as `cursor` for the next page; it is null on the last page.";
            s.Response<Page<WebhookResponse>>(200, "A page of webhooks.");
            s.BadRequest("`limit` is not 1–500, or `cursor` is not one this API returned.")
                .Unauthorized().Forbidden("The admin key has no tenant.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var rows = await db.Webhooks.VisibleTo(User.TenantId()).AsNoTracking()
            .PageByIdDescending(req, w => w.Id).ToListAsync(ct);
        await Send.OkAsync(PageCursor.ToPage(rows, req.Take, w => w.Id, w => new WebhookResponse(w)), ct);
    }
}
