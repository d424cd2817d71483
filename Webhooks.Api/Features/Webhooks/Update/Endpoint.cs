using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Webhooks.Update;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : Endpoint<Request, WebhookResponse>
{
    public override void Configure()
    {
        Patch("/v1/webhooks/{id:guid}");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Changes a webhook's url, events, description or active flag; fields left out stay as they are.";
            s.Description = "`{\"active\": true}` re-enables a webhook (also one disabled after repeated failures): it clears " +
                            "`disabledAt` and `disabledReason` and resets `consecutiveFailures` to 0. `{\"active\": false}` " +
                            "deactivates it. `\"description\": null` clears the description. An empty body `{}` changes " +
                            "nothing and returns the webhook as it is.";
            s.Response<WebhookResponse>(200, "The webhook after the change.");
            s.BadRequest().Unauthorized().Forbidden("The admin key has no tenant.").NotFound();
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Read under the row lock, held to the commit: a Dispatcher that disables the webhook (or counts a failure)
        // meanwhile waits, so the answer is the row as this change left it, never a state it does not have.
        var webhook = await db.Webhooks
            .FromSql($"SELECT * FROM webhooks WHERE id = {req.Id} AND tenant_id = {tenantId} AND deleted_at IS NULL FOR UPDATE")
            .FirstOrDefaultAsync(ct);
        if (webhook is null)
        {
            await Send.ResultAsync(WebhookQueries.NotFound());
            return;
        }

        if (req.HasUrl) webhook.Url = req.Url!;
        if (req.HasEvents) webhook.Events = [.. req.Events!];
        if (req.HasDescription) webhook.Description = req.Description;
        if (req.Active is true)
        {
            webhook.Active = true;
            webhook.DisabledAt = null;
            webhook.DisabledReason = null;
            webhook.ConsecutiveFailures = 0;
        }
        else if (req.Active is false)
        {
            webhook.Active = false;
        }

        if (db.ChangeTracker.HasChanges())
        {
            webhook.UpdatedAt = time.GetUtcNowForDb();
            await db.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        await Send.OkAsync(new WebhookResponse(webhook), ct);
    }
}
