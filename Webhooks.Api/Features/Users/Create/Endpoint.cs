using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.ApiKeys;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Users.Create;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : Endpoint<Request, Response>
{
    private const string DuplicateEmail = "A user with this email already exists in the tenant.";

    public override void Configure()
    {
        Post("/v1/users");
        Policies(Auth.Policies.TenantOwner);
        Summary(s =>
        {
            s.Summary = "Adds a user to the caller's tenant and issues the user's API key (tenant owner only).";
            s.Description = "The `apiKey` is returned once, in this response; only its hash is stored.";
            s.Response<Response>(201, "The user and the user's API key.");
            s.BadRequest().Unauthorized().Forbidden("Only the tenant owner may add users; the admin key has no tenant.")
                .Conflict("The email is already taken in this tenant; `errors` names `email`.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var email = FieldRules.NormalizeEmail(req.Email!);
        if (await db.Users.AnyAsync(u => u.TenantId == tenantId && u.Email == email, ct))
            ThrowError(r => r.Email, DuplicateEmail, StatusCodes.Status409Conflict);

        var now = time.GetUtcNowForDb();
        var user = new User { Id = Guid.CreateVersion7(now), TenantId = tenantId, Email = email, Name = req.Name!.Trim(), CreatedAt = now };
        db.Users.Add(user);
        var apiKey = ApiKeyIssuer.Issue(db, user.Id, ApiKeyIssuer.UserKeyName, now).Key;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // Two requests raced past the check above; the unique index let only one in.
            ThrowError(r => r.Email, DuplicateEmail, StatusCodes.Status409Conflict);
        }

        await Send.ResponseAsync(new Response(user.Id, user.Email, user.Name, user.CreatedAt, apiKey), StatusCodes.Status201Created, ct);
    }
}
