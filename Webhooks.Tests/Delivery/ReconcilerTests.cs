using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Options;
using Webhooks.Core.Queue;
using Webhooks.Dispatcher.Retrying;
using Webhooks.Dispatcher.Upkeep;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

public abstract class ReconcilerTests(InfrastructureFixture infrastructure, RedisBackend backend)
{
    public sealed class Standalone(InfrastructureFixture infrastructure) : ReconcilerTests(infrastructure, RedisBackend.Standalone);

    public sealed class Cluster(InfrastructureFixture infrastructure) : ReconcilerTests(infrastructure, RedisBackend.Cluster);

    [Fact]
    public async Task A_sweep_pages_through_every_live_delivery_and_restores_only_what_redis_lacks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false, redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/never", ["sale.created"]);
        var published = await Publish.EventAsync(stack, tenant, webhook);
        var now = DateTimeOffset.UtcNow;
        // Few distinct due times, so pages break inside runs of equal times and the (time, id) keyset must hold; all
        // within the sweep's horizon (later ones are left to the later buckets: see the next test).
        DateTimeOffset[] dueTimes = [now.AddMinutes(-1), now.AddSeconds(30), now.AddSeconds(60)];
        var live = Enumerable.Range(0, 2 * ScheduleReconciler.PageSize + 500).Select(i => Delivery(i % 2 == 0 ? DeliveryStatus.Pending : DeliveryStatus.Retrying, dueTimes[i % 3])).ToList();
        var final = new[] { Delivery(DeliveryStatus.Success, null), Delivery(DeliveryStatus.Failed, null) };
        await using (var db = stack.CreateDbContext())
        {
            db.Deliveries.AddRange(live);
            db.Deliveries.AddRange(final);
            await db.SaveChangesAsync(ct);
        }
        var queue = stack.Queue;
        await stack.ClearScheduleAsync();
        await queue.ScheduleAsync(Queued(live[0]), now); // already scheduled: left alone
        var reconciler = Reconciler(stack, queue, TimeProvider.System);

        var first = await reconciler.ReconcileAsync(ct);
        var second = await reconciler.ReconcileAsync(ct);

        // The published delivery is live too (due now, and gone from the cleared schedule).
        Assert.Equal((live.Count + 1, live.Count), first);
        Assert.Equal((live.Count + 1, 0), second);
        Assert.Equal(live.Count + 1, await stack.Redis.SortedSetLengthAsync(queue.Keys.Due));
        Assert.True(await Publish.IsScheduledAsync(stack, published.DeliveryId));
        // Restored at Postgres' due time; the one Redis already had keeps its score.
        Assert.Equal(dueTimes[1].ToUnixTimeMilliseconds(), await stack.Redis.SortedSetScoreAsync(queue.Keys.Due, Queued(live[1]).ToMember()));
        Assert.Equal(now.ToUnixTimeMilliseconds(), await stack.Redis.SortedSetScoreAsync(queue.Keys.Due, Queued(live[0]).ToMember()));
        Assert.False(await Publish.IsScheduledAsync(stack, final[0].Id));

        Core.Data.Entities.Delivery Delivery(DeliveryStatus status, DateTimeOffset? nextAttemptAt) =>
            NewDelivery(tenant, published, webhook, status, nextAttemptAt, now);
    }

    [Fact]
    public async Task After_a_flush_deliveries_due_soon_are_restored_at_once_and_later_ones_before_they_are_due()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false, redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/never", ["sale.created"]);
        var published = await Publish.EventAsync(stack, tenant, webhook); // due now, scheduled
        // Whole milliseconds, so Postgres' microseconds give back the same due times the schedule scores hold.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var soon = NewDelivery(tenant, published, webhook, DeliveryStatus.Retrying, now.AddSeconds(30), now);
        var later = NewDelivery(tenant, published, webhook, DeliveryStatus.Retrying, now.AddHours(1).AddMilliseconds(17), now);
        await using (var db = stack.CreateDbContext())
        {
            db.Deliveries.AddRange(soon, later);
            await db.SaveChangesAsync(ct);
        }
        var clock = new FakeTimeProvider(now);
        var queue = new DeliveryQueue(stack.RedisMultiplexer, stack.Queue.Keys, clock);
        await queue.ScheduleAsync([(Queued(soon), soon.NextAttemptAt!.Value), (Queued(later), later.NextAttemptAt!.Value)]);
        var reconciler = Reconciler(stack, queue, clock);

        // The later one waits in its bucket, which the sweep neither searches nor doubles into the due set.
        Assert.Equal((2, 0), await reconciler.ReconcileAsync(ct));
        Assert.Equal(2, await stack.Redis.SortedSetLengthAsync(queue.Keys.Due));

        await stack.ClearScheduleAsync();
        Assert.Equal((2, 2), await reconciler.ReconcileAsync(ct));
        Assert.Equal(soon.NextAttemptAt!.Value.ToUnixTimeMilliseconds(), await stack.Redis.SortedSetScoreAsync(queue.Keys.Due, Queued(soon).ToMember()));
        Assert.False(await Publish.IsScheduledAsync(stack, later.Id));

        clock.Advance(later.NextAttemptAt!.Value - DeliveryQueue.RestoreHorizon + TimeSpan.FromSeconds(1) - now);
        Assert.Equal((3, 1), await reconciler.ReconcileAsync(ct));
        var dueAt = later.NextAttemptAt!.Value;
        Assert.Equal(dueAt.ToUnixTimeMilliseconds(), await stack.Redis.SortedSetScoreAsync(queue.Keys.Due, Queued(later).ToMember()));
        Assert.Equal(new[] { published.DeliveryId, soon.Id }.Order(),
            (await queue.ClaimDueAsync(dueAt.AddMilliseconds(-1), 10, TimeSpan.FromMinutes(1))).Select(d => d.Id).Order());
        Assert.Equal([Queued(later)], await queue.ClaimDueAsync(dueAt, 10, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_schedule_left_in_the_first_layout_is_never_read_and_its_deliveries_are_restored_from_postgres()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false, redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/never", ["sale.created"]);
        var published = await Publish.EventAsync(stack, tenant, webhook);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var retry = NewDelivery(tenant, published, webhook, DeliveryStatus.Retrying, now.AddHours(1), now);
        await using (var db = stack.CreateDbContext())
        {
            db.Deliveries.Add(retry);
            await db.SaveChangesAsync(ct);
        }
        // As a version of the first layout left them: 16-byte ids in {prefix}:due, a 24-byte entry (id, due ms) in a
        // later bucket, and nothing in the new keys.
        await stack.ClearScheduleAsync();
        var tag = stack.Queue.Keys.Tag;
        var bucket = now.AddHours(1).ToUnixTimeMilliseconds() / 60_000 * 60_000;
        await stack.Redis.SortedSetAddAsync(tag + ":due", published.DeliveryId.ToByteArray(), now.ToUnixTimeMilliseconds());
        byte[] entry = [.. retry.Id.ToByteArray(), .. BitConverter.GetBytes(now.AddHours(1).ToUnixTimeMilliseconds())];
        await stack.Redis.StringAppendAsync($"{tag}:later:{bucket}", entry);
        await stack.Redis.SortedSetAddAsync(tag + ":later", bucket, bucket);
        var clock = new FakeTimeProvider(now);
        var queue = new DeliveryQueue(stack.RedisMultiplexer, stack.Queue.Keys, clock);

        // A claim sees none of it; the sweep restores the delivery due now from Postgres, in the new layout.
        Assert.Empty(await queue.ClaimDueAsync(now, 10, TimeSpan.FromMinutes(1)));
        Assert.Equal((1, 1), await Reconciler(stack, queue, clock).ReconcileAsync(ct));
        Assert.Equal([await Publish.QueuedAsync(stack, published.DeliveryId)], await queue.ClaimDueAsync(now, 10, TimeSpan.FromMinutes(1)));
        // The retry an hour ahead, once it is that close, from its bucket's time on (the old bucket is never promoted).
        clock.Advance(TimeSpan.FromHours(1) - DeliveryQueue.RestoreHorizon + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await Reconciler(stack, queue, clock).ReconcileAsync(ct)).Restored);
        Assert.Equal([Queued(retry)], await queue.ClaimDueAsync(now.AddHours(1), 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(1, await stack.Redis.SortedSetLengthAsync(tag + ":due"));
        Assert.Equal(24, await stack.Redis.StringLengthAsync($"{tag}:later:{bucket}"));
    }

    private static QueuedDelivery Queued(Core.Data.Entities.Delivery delivery) => new(delivery.Id, delivery.WebhookId, delivery.TenantId);

    private static ScheduleReconciler Reconciler(TestStack stack, DeliveryQueue queue, TimeProvider time) =>
        new(stack.ApiServices.GetRequiredService<IServiceScopeFactory>(), queue, time, Options.Create(new ReconcilerOptions()),
            NullLogger<ScheduleReconciler>.Instance);

    private static Core.Data.Entities.Delivery NewDelivery(SeededTenant tenant, PublishedEvent published, SeededWebhook webhook, DeliveryStatus status,
        DateTimeOffset? nextAttemptAt, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(), TenantId = tenant.TenantId, EventId = published.EventId, WebhookId = webhook.WebhookId,
        Status = status, AttemptCount = status == DeliveryStatus.Pending ? 0 : 1, NextAttemptAt = nextAttemptAt, CreatedAt = now,
        CompletedAt = nextAttemptAt is null ? now : null,
    };
}
