using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Features.ApiKeys;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Tenants.Create;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/tenants");
        Policies(Auth.Policies.Admin);
        Summary(s =>
        {
            s.Summary = "Creates a tenant with its owner user and the owner's API key (admin key only).";
            s.Description = "The owner's `apiKey` is returned once, in this response; only its hash is stored.";
            s.Response<Response>(201, "The tenant, its owner and the owner's API key.");
            s.BadRequest().Unauthorized().Forbidden("Only the admin key may create tenants.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var now = time.GetUtcNowForDb();
        var tenant = new Tenant { Id = Guid.CreateVersion7(now), Name = req.Name!.Trim(), CreatedAt = now };
        var owner = new User
        {
            Id = Guid.CreateVersion7(now), TenantId = tenant.Id,
            Email = FieldRules.NormalizeEmail(req.Owner!.Email!), Name = req.Owner.Name!.Trim(), CreatedAt = now,
        };
        string apiKey;

        // Tenant and owner reference each other, so it takes two saves; the transaction makes them one change.
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            db.Tenants.Add(tenant);
            db.Users.Add(owner);
            await db.SaveChangesAsync(ct);
            tenant.OwnerUserId = owner.Id;
            apiKey = ApiKeyIssuer.Issue(db, owner.Id, ApiKeyIssuer.TenantOwnerKeyName, now).Key;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        await Send.ResponseAsync(new Response(tenant.Id, tenant.Name, tenant.CreatedAt,
            new Owner(owner.Id, owner.Email, owner.Name, owner.CreatedAt), apiKey), StatusCodes.Status201Created, ct);
    }
}
