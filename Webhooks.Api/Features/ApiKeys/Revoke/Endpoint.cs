using FastEndpoints;
using FastEndpoints.Swagger;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.ApiKeys.Revoke;

internal sealed class Endpoint(WebhooksDbContext db, ApiKeyCache cache, TimeProvider time) : Endpoint<Request>
{
    public override void Configure()
    {
        Delete("/v1/api-keys/{id:guid}");
        Policies(Auth.Policies.TenantUser);
        Description(b => b.AutoTagOverride(ApiKeyQueries.Tag));
        Summary(s =>
        {
            s.Summary = "Revokes an API key: every Api process refuses it within 2 s.";
            s.Description = "A member revokes their own keys; the tenant owner any key of the tenant. The key is not " +
                            "found afterwards. The owner's last unexpired key cannot be revoked (issue another first): " +
                            "nobody else could issue the owner a new one.";
            s.Response(204, "Revoked.");
            s.Unauthorized().Forbidden("The admin key has no tenant.").NotFound("No such API key among those the caller manages.")
                .Conflict("The key is the tenant owner's last unexpired key.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var ownerId = User.IsOwner() ? User.UserId() : (Guid?)null;
        byte[]? revokedHash = null;
        var lastOwnerKey = false;
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var key = await db.ManageableBy(User).FirstOrDefaultAsync(k => k.Id == req.Id, ct);
            if (key is null) return;

            var now = time.GetUtcNowForDb();
            if (key.UserId == ownerId)
            {
                // The owner's user row is the lock: two revocations of the owner's last two keys cannot both pass.
                await db.Database.ExecuteSqlAsync($"SELECT 1 FROM users WHERE id = {key.UserId} FOR UPDATE", ct);
                lastOwnerKey = !await db.ApiKeys.AnyAsync(k => k.UserId == key.UserId && k.Id != key.Id && k.RevokedAt == null
                    && (k.ExpiresAt == null || k.ExpiresAt > now), ct);
                if (lastOwnerKey) return;
            }
            key.RevokedAt = now;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            revokedHash = key.Hash;
        });

        if (lastOwnerKey)
        {
            await Send.ResultAsync(TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                detail: "This is the tenant owner's last unexpired API key: issue another one before revoking it."));
            return;
        }
        if (revokedHash is null)
        {
            await Send.ResultAsync(ApiKeyQueries.NotFound());
            return;
        }
        cache.Remove(Convert.ToHexString(revokedHash)); // at once here; the other processes' watchers follow within 2 s
        await Send.NoContentAsync(ct);
    }
}
