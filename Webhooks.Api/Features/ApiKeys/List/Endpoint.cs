using FastEndpoints;
using FastEndpoints.Swagger;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.ApiKeys.List;

internal sealed class Endpoint(WebhooksDbContext db) : Endpoint<Request, Page<ApiKeyResponse>>
{
    public override void Configure()
    {
        Get("/v1/api-keys");
        Policies(Auth.Policies.TenantUser);
        Description(b => b.AutoTagOverride(ApiKeyQueries.Tag));
        Summary(s =>
        {
            s.Summary = "The caller's API keys (the tenant owner: every key of the tenant), newest first, never the keys themselves.";
            s.Description = "Revoked keys are left out; expired ones stay listed, with `expiresAt` in the past, until revoked. " +
                            "Pass `nextCursor` back as `cursor` for the next page; it is null on the last page.";
            s.Response<Page<ApiKeyResponse>>(200, "A page of API keys.");
            s.BadRequest("`limit` is not 1–500, `cursor` is not one this API returned, or `userId` is not a UUID.")
                .Unauthorized().Forbidden("The admin key has no tenant, or a member named another user in `userId`.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var keys = db.ManageableBy(User).AsNoTracking();
        if (req.UserId is { } userId)
        {
            if (!User.IsOwner() && userId != User.UserId())
                ThrowError(r => r.UserId, "Only the tenant owner may list another user's API keys.", StatusCodes.Status403Forbidden);
            keys = keys.Where(k => k.UserId == userId);
        }
        var rows = await keys.PageByIdDescending(req, k => k.Id).ToListAsync(ct);
        await Send.OkAsync(PageCursor.ToPage(rows, req.Take, k => k.Id, k => new ApiKeyResponse(k)), ct);
    }
}
