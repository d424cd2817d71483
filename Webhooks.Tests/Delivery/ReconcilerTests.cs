using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Options;
using Webhooks.Core.Queue;
using Webhooks.Dispatcher.Scheduling;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

public sealed class ReconcilerTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_sweep_pages_through_every_live_delivery_and_restores_only_what_redis_lacks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/never", ["sale.created"]);
        var published = await Publish.EventAsync(stack, tenant, webhook, schedule: false);
        var now = DateTimeOffset.UtcNow;
        // Few distinct due times, so pages break inside runs of equal times and the (time, id) keyset must hold.
        DateTimeOffset[] dueTimes = [now.AddMinutes(5), now.AddMinutes(10), now.AddMinutes(15)];
        var live = Enumerable.Range(0, 2 * ScheduleReconciler.PageSize + 500).Select(i => Delivery(i % 2 == 0 ? DeliveryStatus.Pending : DeliveryStatus.Retrying, dueTimes[i % 3])).ToList();
        var final = new[] { Delivery(DeliveryStatus.Success, null), Delivery(DeliveryStatus.Failed, null) };
        await using (var db = stack.CreateDbContext())
        {
            db.Deliveries.AddRange(live);
            db.Deliveries.AddRange(final);
            await db.SaveChangesAsync(ct);
        }
        var queue = Publish.Queue(stack);
        await Publish.ClearScheduleAsync(stack);
        await queue.ScheduleAsync(live[0].Id, now); // already scheduled: left alone
        var reconciler = new ScheduleReconciler(stack.ApiServices.GetRequiredService<IServiceScopeFactory>(), queue, TimeProvider.System,
            Options.Create(new ReconcilerOptions()), NullLogger<ScheduleReconciler>.Instance);

        var first = await reconciler.ReconcileAsync(ct);
        var second = await reconciler.ReconcileAsync(ct);

        // The publish helper's own delivery is live too (due now, never scheduled).
        Assert.Equal((live.Count + 1, live.Count), first);
        Assert.Equal((live.Count + 1, 0), second);
        Assert.Equal(live.Count + 1, await queue.DueCountAsync());
        Assert.True(await queue.ContainsAsync(published.DeliveryId));
        // Restored at Postgres' due time; the one Redis already had keeps its score.
        Assert.Equal(dueTimes[1].ToUnixTimeMilliseconds(), await stack.Redis.SortedSetScoreAsync(DeliveryQueue.DueKey, DeliveryQueue.Member(live[1].Id)));
        Assert.Equal(now.ToUnixTimeMilliseconds(), await stack.Redis.SortedSetScoreAsync(DeliveryQueue.DueKey, DeliveryQueue.Member(live[0].Id)));
        Assert.False(await queue.ContainsAsync(final[0].Id));
        await Publish.ClearScheduleAsync(stack); // a later stack on this Redis database would otherwise chase these ids

        Core.Data.Entities.Delivery Delivery(DeliveryStatus status, DateTimeOffset? nextAttemptAt) => new()
        {
            Id = Guid.CreateVersion7(), TenantId = tenant.TenantId, EventId = published.EventId, WebhookId = webhook.WebhookId,
            Status = status, AttemptCount = status == DeliveryStatus.Pending ? 0 : 1, NextAttemptAt = nextAttemptAt, CreatedAt = now,
            CompletedAt = nextAttemptAt is null ? now : null,
        };
    }
}
