using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Webhooks.Stats;

internal sealed class Endpoint(WebhooksDbContext db, TimeProvider time) : Endpoint<Request, Response>
{
    private const int BucketCount = 24;

    public override void Configure()
    {
        Get("/v1/webhooks/{id:guid}/stats");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Success rate and latency of a webhook's attempts over the last `hours` (default 24), in 24 buckets.";
            s.Description = "Counts every attempt started in the window, whatever its delivery's age; an attempt succeeds when " +
                "the endpoint answered 2xx. Durations are the attempts' `durationMs`.";
            s.Response<Response>(200, "The figures, whole and per bucket (oldest first; empty buckets have zero attempts).");
            s.BadRequest().Unauthorized().Forbidden("The admin key has no tenant.").NotFound();
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var tenantId = User.TenantId();
        if (!await db.Webhooks.VisibleTo(tenantId).AnyAsync(w => w.Id == req.Id, ct))
        {
            await Send.ResultAsync(WebhookQueries.NotFound());
            return;
        }

        var until = time.GetUtcNow();
        var from = until - TimeSpan.FromHours(req.Hours ?? Request.DefaultHours);
        var bucket = (until - from) / BucketCount;
        var rows = await AttemptStats.ByBucketAsync(db, tenantId, req.Id, from, until, bucket, ct);
        var total = await AttemptStats.WholeAsync(db, tenantId, req.Id, from, until, ct);

        var buckets = Enumerable.Range(0, BucketCount).Select(i =>
        {
            var start = from + bucket * i;
            var row = rows.FirstOrDefault(r => r.Index == i);
            return new Bucket(start, row is null ? Figures.Of(0, 0, null, null) : Figures.Of(row.Attempts, row.Succeeded, row.P50, row.P95));
        }).ToList();
        await Send.OkAsync(new Response(req.Id, from, until, (int)bucket.TotalSeconds, Figures.Of(total.Attempts, total.Succeeded, total.P50, total.P95),
            buckets), ct);
    }
}
