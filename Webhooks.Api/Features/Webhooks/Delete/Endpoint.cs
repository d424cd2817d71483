using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Webhooks.Delete;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : Endpoint<Request>
{
    public const string DeliveryError = "webhook deleted";

    public override void Configure()
    {
        Delete("/v1/webhooks/{id:guid}");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Deletes a webhook; its pending and retrying deliveries end as failed.";
            s.Description = "The webhook stops receiving events at once and is not found afterwards. Its delivery " +
                            "history stays readable until retention removes it.";
            s.Response(204, "Deleted.");
            s.Unauthorized().Forbidden("The admin key has no tenant.").NotFound();
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        var found = false;
        // Soft delete and the end of its deliveries are one change: no delivery may stay live for a deleted webhook.
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var webhook = await db.Webhooks.VisibleTo(tenantId).FirstOrDefaultAsync(w => w.Id == req.Id, ct);
            found = webhook is not null;
            if (webhook is null) return;

            var now = time.GetUtcNowForDb();
            webhook.DeletedAt = now;
            webhook.Active = false;
            webhook.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            // Queued ids may still sit in Redis; the Dispatcher finds these rows final and drops them.
            await db.Deliveries
                .Where(d => d.WebhookId == webhook.Id && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying))
                .ExecuteUpdateAsync(u => u
                    .SetProperty(d => d.Status, DeliveryStatus.Failed)
                    .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                    .SetProperty(d => d.CompletedAt, now)
                    .SetProperty(d => d.LastError, DeliveryError), ct);
            await tx.CommitAsync(ct);
        });

        if (found) await Send.NoContentAsync(ct);
        else await Send.ResultAsync(WebhookQueries.NotFound());
    }
}
