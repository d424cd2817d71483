using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Users.List;

internal sealed class Endpoint(WebhooksDbContext db) : Endpoint<Request, Page<Response>>
{
    public override void Configure()
    {
        Get("/v1/users");
        Policies(Auth.Policies.TenantOwner);
        Summary(s =>
        {
            s.Summary = "The users of the caller's tenant, newest first (tenant owner only).";
            s.Response<Page<Response>>(200, "A page of users.");
            s.BadRequest().Unauthorized().Forbidden("Only the tenant owner may list users; the admin key has no tenant.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var ownerId = await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.OwnerUserId).FirstAsync(ct);
        var rows = await db.Users.AsNoTracking().Where(u => u.TenantId == tenantId).PageByIdDescending(req, u => u.Id).ToListAsync(ct);
        await Send.OkAsync(PageCursor.ToPage(rows, req.Take, u => u.Id,
            u => new Response(u.Id, u.Email, u.Name, u.Id == ownerId ? Auth.Roles.Owner : Auth.Roles.Member, u.CreatedAt)), ct);
    }
}
