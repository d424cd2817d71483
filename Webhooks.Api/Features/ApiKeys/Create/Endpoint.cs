using FastEndpoints;
using FastEndpoints.Swagger;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.ApiKeys.Create;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/api-keys");
        Policies(Auth.Policies.TenantUser);
        Description(b => b.AutoTagOverride(ApiKeyQueries.Tag));
        Summary(s =>
        {
            s.Summary = "Issues a new API key for the caller, or (tenant owner only) for another user of the tenant.";
            s.Description = "The `key` is returned once, in this response; only its hash is stored. Revoke it with " +
                            "DELETE /v1/api-keys/{id}.";
            s.Response<Response>(201, "The key's details and the key itself.");
            s.BadRequest().Unauthorized()
                .Forbidden("The admin key has no tenant, or a member named another user in `userId`.")
                .NotFound("`userId` is not a user of the caller's tenant.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var userId = req.UserId ?? User.UserId();
        if (userId != User.UserId())
        {
            if (!User.IsOwner())
                ThrowError(r => r.UserId, "Only the tenant owner may issue API keys for another user.", StatusCodes.Status403Forbidden);
            var tenantId = User.TenantId();
            if (!await db.Users.AnyAsync(u => u.Id == userId && u.TenantId == tenantId, ct))
            {
                await Send.ResultAsync(Problems.NotFound("user"));
                return;
            }
        }

        var (row, key) = ApiKeyIssuer.Issue(db, userId, req.Name!.Trim(), time.GetUtcNowForDb(), req.ExpiresAt);
        await db.SaveChangesAsync(ct);
        await Send.ResponseAsync(new Response(row, key), StatusCodes.Status201Created, ct);
    }
}
