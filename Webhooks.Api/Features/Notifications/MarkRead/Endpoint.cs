using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Notifications.MarkRead;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : Endpoint<Request>
{
    public override void Configure()
    {
        Post("/v1/notifications/{id}/read");
        Policies(Auth.Policies.TenantUser);
        Description(b => b.ProducesProblemDetails(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "Marks one of the caller's notifications read.";
            s.Description = "Idempotent: marking it again keeps the first read time.";
            s.Responses[204] = "Marked read.";
            s.Responses[404] = "No notification with this id belongs to the caller.";
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var userId = User.UserId();
        var tenantId = User.TenantId();
        var now = time.GetUtcNow();
        // Someone else's notification is indistinguishable from a missing one: both update no row.
        var found = await db.Notifications.Where(n => n.Id == req.Id && n.UserId == userId && n.TenantId == tenantId)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, n => n.ReadAt ?? now), ct);
        if (found == 0) await Send.ResultAsync(Problems.NotFound("notification"));
        else await Send.NoContentAsync(ct);
    }
}
