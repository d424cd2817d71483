using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StackExchange.Redis;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Queue;
using Webhooks.Tests.Delivery;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Deliveries;

/// <summary>One test per statement of Core/Deliveries, against the real schema: what each creates, reads, records,
/// ends or re-queues, and what it leaves alone.</summary>
public sealed class DeliveryStatementsTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);

    public async ValueTask DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Publishing_inserts_the_events_and_one_pending_delivery_per_live_subscribed_webhook_of_their_tenant()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var other = await Seed.TenantAsync(_stack, "Other");
        var subscribed = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/a", ["sale.created", "sale.updated"]);
        var paused = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/b", ["sale.created"], active: false);
        var deleted = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/c", ["sale.created"]);
        await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/d", ["sale.refunded"]);
        var others = await Seed.WebhookAsync(_stack, other, "http://127.0.0.1:9/e", ["sale.created"]);
        await using (var db = _stack.CreateDbContext())
            await db.Webhooks.Where(w => w.Id == deleted.WebhookId).ExecuteUpdateAsync(s => s.SetProperty(w => w.DeletedAt, DateTimeOffset.UtcNow), Ct);
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        NewDeliveries.NewEvent[] events =
        [
            new(Guid.CreateVersion7(createdAt), tenant.TenantId, "sale.created", """{"n":1}""", "key-1", createdAt, "00-trace"),
            new(Guid.CreateVersion7(createdAt), other.TenantId, "sale.created", """{"n":2}""", null, createdAt, null),
        ];

        await using var connection = await _stack.DataSource.OpenConnectionAsync(Ct);
        var created = (await NewDeliveries.PublishAsync(connection, events, Ct)).Deliveries;

        Assert.Equal([(events[0].Id, subscribed.WebhookId), (events[1].Id, others.WebhookId)],
            created.Select(d => (d.EventId, d.WebhookId)).OrderBy(d => d.EventId == events[1].Id));
        Assert.All(created, d => Assert.Equal(createdAt, d.DueAt));
        await using var check = _stack.CreateDbContext();
        var rows = await check.Deliveries.AsNoTracking().Where(d => d.EventId == events[0].Id || d.EventId == events[1].Id).ToListAsync(Ct);
        Assert.Equal(created.Select(d => d.Id).Order(), rows.Select(r => r.Id).Order());
        Assert.All(rows, r =>
        {
            Assert.Equal((DeliveryStatus.Pending, 0, createdAt, (DateTimeOffset?)null), (r.Status, r.AttemptCount, r.NextAttemptAt!.Value, r.CompletedAt));
            Assert.Equal(7, r.Id.Version);
            Assert.Equal(createdAt.ToUnixTimeMilliseconds(), UnixMillisecondsOf(r.Id)); // a UUIDv7 of the event's millisecond
        });
        var stored = await check.Events.AsNoTracking().SingleAsync(e => e.Id == events[0].Id, Ct);
        Assert.Equal(("key-1", "00-trace", tenant.TenantId), (stored.IdempotencyKey, stored.TraceParent, stored.TenantId));
        Assert.DoesNotContain(rows, r => r.WebhookId == paused.WebhookId || r.WebhookId == deleted.WebhookId);
    }

    [Fact]
    public async Task A_taken_idempotency_key_skips_only_its_event_and_names_it_while_the_statement_writes_the_rest()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/a", ["sale.created"]);
        var now = DateTimeOffset.UtcNow;
        await using var connection = await _stack.DataSource.OpenConnectionAsync(Ct);
        var earlier = new NewDeliveries.NewEvent(Guid.CreateVersion7(now), tenant.TenantId, "sale.created", "{}", "taken", now, null);
        await NewDeliveries.PublishAsync(connection, [earlier], Ct);
        NewDeliveries.NewEvent[] events =
        [
            new(Guid.CreateVersion7(now), tenant.TenantId, "sale.created", "{}", "taken", now, null), // committed before
            new(Guid.CreateVersion7(now), tenant.TenantId, "sale.created", "{}", "same", now, null),
            new(Guid.CreateVersion7(now), tenant.TenantId, "sale.created", "{}", "same", now, null), // earlier in this statement
            new(Guid.CreateVersion7(now), tenant.TenantId, "sale.created", "{}", null, now, null),
        ];

        var published = await NewDeliveries.PublishAsync(connection, events, Ct);

        Assert.Equal(new[] { events[0].Id, events[2].Id }.Order(), published.TakenKeyEvents.Order());
        Assert.Equal(new[] { events[1].Id, events[3].Id }.Order(), published.Deliveries.Select(d => d.EventId).Order());
        Assert.All(published.Deliveries, d => Assert.Equal(webhook.WebhookId, d.WebhookId));
        await using var db = _stack.CreateDbContext();
        Assert.Equal(new[] { earlier.Id, events[1].Id, events[3].Id }.Order(),
            (await db.Events.Where(e => e.TenantId == tenant.TenantId).Select(e => e.Id).ToListAsync(Ct)).Order());
        Assert.Equal(3, await db.Deliveries.CountAsync(d => d.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task A_ping_is_one_ping_event_and_one_delivery_due_now_whatever_the_webhook_subscribed_to()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/a", ["inventory.low_stock"]);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        await using (var db = _stack.CreateDbContext())
            await NewDeliveries.PingAsync(db, tenant.TenantId, webhook.WebhookId, now, "00-ping", Ct);

        await using var check = _stack.CreateDbContext();
        var delivery = await check.Deliveries.AsNoTracking().Include(d => d.Event).SingleAsync(d => d.WebhookId == webhook.WebhookId, Ct);
        Assert.Equal((DeliveryStatus.Pending, 0, now), (delivery.Status, delivery.AttemptCount, delivery.NextAttemptAt!.Value));
        Assert.Equal((EventCatalog.Ping, "00-ping", $$"""{"webhookId": "{{webhook.WebhookId}}"}"""),
            (delivery.Event!.Type, delivery.Event.TraceParent, delivery.Event.Payload));
    }

    [Fact]
    public async Task A_claim_read_returns_each_delivery_with_its_event_and_webhook_and_leaves_out_unknown_ids()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/read", ["sale.created"]);
        var now = DateTimeOffset.UtcNow;
        var retrying = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Retrying, now, attempts: 2);
        var done = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Success, now, attempts: 1);
        var unknown = Guid.CreateVersion7();

        await using var connection = await _stack.DataSource.OpenConnectionAsync(Ct);
        var works = await ClaimedDeliveries.ReadAsync(connection, [retrying, done, unknown], Ct);

        Assert.Equal(new[] { retrying, done }.Order(), works.Keys.Order());
        var work = works[retrying];
        Assert.Equal((tenant.TenantId, webhook.WebhookId, DeliveryStatus.Retrying, 2, false), (work.TenantId, work.WebhookId, work.Status, work.AttemptCount, work.IsFinal));
        Assert.Equal(("sale.created", """{"n": 1}""", "http://127.0.0.1:9/read", true), (work.EventType, work.Payload, work.Url, work.Active));
        Assert.NotEmpty(work.SecretCiphertext);
        Assert.Null(work.WhyWebhookClosed);
        Assert.True(works[done].IsFinal);
    }

    [Fact]
    public async Task The_attempt_store_writes_an_attempt_only_past_the_fence_and_its_extra_statement_sees_only_those()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var first = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/first", ["sale.created"]);
        var late = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/late", ["sale.created"]);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var pending = await SeedHistory.DeliveryAsync(_stack, tenant, first.WebhookId, DeliveryStatus.Pending, now);
        var overtaken = await SeedHistory.DeliveryAsync(_stack, tenant, late.WebhookId, DeliveryStatus.Retrying, now, attempts: 1);
        AttemptRow Row(Guid deliveryId, Guid webhookId, int number) => new(deliveryId, webhookId, number, now, 12,
            new Dictionary<string, string> { ["webhook-id"] = deliveryId.ToString() }, 500, new Dictionary<string, string> { ["a"] = "b" },
            "nope", "HTTP 500 with \0 inside", DeliveryStatus.Retrying, now.AddMinutes(1), null);

        await using var connection = await _stack.DataSource.OpenConnectionAsync(Ct);
        // The extra statement marks the webhooks of the attempts that passed the fence.
        await using var command = new NpgsqlCommand(AttemptStore.SqlWith(ids =>
            $"UPDATE webhooks SET description = ${AttemptStore.ParameterCount + 1} WHERE id IN ({ids})"), connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "stored" });
        // Attempt 1 of the pending one passes; attempt 1 again of one that already had it (a late worker) does not.
        var stored = await AttemptStore.StoreAsync(command, [Row(pending, first.WebhookId, 1), Row(overtaken, late.WebhookId, 1)], Ct);

        Assert.Equal([pending], stored);
        await using var db = _stack.CreateDbContext();
        var delivery = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == pending, Ct);
        Assert.Equal((DeliveryStatus.Retrying, 1, now.AddMinutes(1)), (delivery.Status, delivery.AttemptCount, delivery.NextAttemptAt!.Value));
        var attempt = await db.DeliveryAttempts.AsNoTracking().SingleAsync(a => a.DeliveryId == pending, Ct);
        Assert.Equal((1, 12, 500, "nope", "HTTP 500 with \uFFFD inside", "b"),
            (attempt.Number, attempt.DurationMs, attempt.ResponseStatus, attempt.ResponseBody, attempt.Error, attempt.ResponseHeaders!["a"]));
        Assert.Equal(1, await db.DeliveryAttempts.CountAsync(a => a.DeliveryId == overtaken, Ct)); // only its seeded one
        var descriptions = await db.Webhooks.AsNoTracking().Where(w => w.Id == first.WebhookId || w.Id == late.WebhookId)
            .ToDictionaryAsync(w => w.Id, w => w.Description, Ct);
        Assert.Equal(("stored", (string?)null), (descriptions[first.WebhookId], descriptions[late.WebhookId]));
    }

    [Fact]
    public async Task Ending_one_delivery_fails_it_with_the_reason_only_while_it_is_live()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/a", ["sale.created"]);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var live = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Retrying, now, attempts: 1);
        var succeeded = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Success, now.AddMinutes(-1), attempts: 1);

        await using var db = _stack.CreateDbContext();
        Assert.Equal(1, await DeliveryEnding.EndAsync(db, live, DeliveryEnding.WebhookDisabled, now, Ct));
        Assert.Equal(0, await DeliveryEnding.EndAsync(db, succeeded, DeliveryEnding.WebhookDisabled, now, Ct));

        var rows = await db.Deliveries.AsNoTracking().Where(d => d.Id == live || d.Id == succeeded).ToDictionaryAsync(d => d.Id, Ct);
        Assert.Equal((DeliveryStatus.Failed, "webhook disabled", now, (DateTimeOffset?)null),
            (rows[live].Status, rows[live].LastError, rows[live].CompletedAt!.Value, rows[live].NextAttemptAt));
        Assert.Equal((DeliveryStatus.Success, (string?)null), (rows[succeeded].Status, rows[succeeded].LastError));
    }

    [Fact]
    public async Task Ending_a_webhooks_live_deliveries_skips_a_row_being_written_or_waits_for_it_as_asked()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/a", ["sale.created"]);
        var otherWebhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/b", ["sale.created"]);
        var now = DateTimeOffset.UtcNow;
        var locked = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Pending, now);
        var free = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Retrying, now, attempts: 1);
        var final = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Failed, now, attempts: 6);
        var others = await SeedHistory.DeliveryAsync(_stack, tenant, otherWebhook.WebhookId, DeliveryStatus.Pending, now);

        // Another writer (a Dispatcher recording an attempt) holds one row.
        await using var writer = _stack.CreateDbContext();
        await using var writing = await writer.Database.BeginTransactionAsync(Ct);
        await writer.Database.ExecuteSqlAsync($"SELECT 1 FROM deliveries WHERE id = {locked} FOR UPDATE", Ct);

        await using (var db = _stack.CreateDbContext())
            Assert.Equal(1, await DeliveryEnding.EndLiveOfWebhookAsync(db, webhook.WebhookId, "disabled", now, skipLocked: true, Ct));
        Assert.Equal(DeliveryStatus.Pending, await StatusAsync(locked));

        Task<int> ending;
        await using (var db = _stack.CreateDbContext())
        {
            ending = DeliveryEnding.EndLiveOfWebhookAsync(db, webhook.WebhookId, DeliveryEnding.WebhookDeleted, now, skipLocked: false, Ct);
            await Task.Delay(200, Ct); // it waits for the writer: give it the chance to be wrong
            Assert.False(ending.IsCompleted);
            await writing.CommitAsync(Ct);
            Assert.Equal(1, await ending);
        }

        Assert.Equal([DeliveryStatus.Failed, DeliveryStatus.Failed, DeliveryStatus.Failed, DeliveryStatus.Pending],
            [await StatusAsync(locked), await StatusAsync(free), await StatusAsync(final), await StatusAsync(others)]);
    }

    [Fact]
    public async Task A_requeue_makes_deliveries_due_now_keeps_their_attempt_counts_and_schedules_them()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/a", ["sale.created"]);
        var earlier = DateTimeOffset.UtcNow.AddHours(-1);
        var failed = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Failed, earlier, attempts: 6);
        var pending = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Pending, earlier);
        var requeue = _stack.ApiServices.GetRequiredService<DeliveryRequeue>();

        DateTimeOffset dueAt;
        await using (var db = _stack.CreateDbContext())
            dueAt = (await requeue.RequeueAsync(db, await Publish.QueuedAsync(_stack, [failed, pending]), Ct)).DueAt;

        await using var check = _stack.CreateDbContext();
        var rows = await check.Deliveries.AsNoTracking().Where(d => d.Id == failed || d.Id == pending).ToDictionaryAsync(d => d.Id, Ct);
        Assert.Equal((DeliveryStatus.Retrying, 6, (DateTimeOffset?)null, (string?)null),
            (rows[failed].Status, rows[failed].AttemptCount, rows[failed].CompletedAt, rows[failed].LastError));
        Assert.Equal(DeliveryStatus.Pending, rows[pending].Status);
        Assert.All(rows.Values, r => Assert.InRange(r.NextAttemptAt!.Value, dueAt.AddMilliseconds(-1), dueAt.AddMilliseconds(1)));
        Assert.Equal(2, await Publish.ScheduledCountAsync(_stack, [failed, pending]));
    }

    [Fact]
    public async Task Recovery_requeues_only_the_webhooks_failed_deliveries_created_in_the_window()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/a", ["sale.created"]);
        var other = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/b", ["sale.created"]);
        var since = DateTimeOffset.UtcNow.AddHours(-2);
        var until = since.AddHours(1);
        var inside = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Failed, since.AddMinutes(1), attempts: 6);
        var before = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Failed, since.AddMinutes(-1), attempts: 6);
        var atUntil = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Failed, until, attempts: 6);
        var succeeded = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Success, since.AddMinutes(2), attempts: 1);
        var othersFailed = await SeedHistory.DeliveryAsync(_stack, tenant, other.WebhookId, DeliveryStatus.Failed, since.AddMinutes(3), attempts: 6);
        var requeue = _stack.ApiServices.GetRequiredService<DeliveryRequeue>();

        await using var db = _stack.CreateDbContext();
        Assert.Equal((1, 0), await requeue.RequeueFailedAsync(db, webhook.WebhookId, since, until, Ct));

        Assert.Equal([DeliveryStatus.Retrying, DeliveryStatus.Failed, DeliveryStatus.Failed, DeliveryStatus.Success, DeliveryStatus.Failed],
            [await StatusAsync(inside), await StatusAsync(before), await StatusAsync(atUntil), await StatusAsync(succeeded), await StatusAsync(othersFailed)]);
    }

    [Fact]
    public async Task The_sweep_pages_live_deliveries_due_before_a_time_in_due_order()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "http://127.0.0.1:9/a", ["sale.created"]);
        // Far in the past, so no other test's deliveries in this database come before them.
        var at = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var second = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Retrying, at.AddSeconds(2), attempts: 1);
        var first = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Pending, at.AddSeconds(1));
        var third = await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Pending, at.AddSeconds(3));
        await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Success, at.AddSeconds(1), attempts: 1);
        await SeedHistory.DeliveryAsync(_stack, tenant, webhook.WebhookId, DeliveryStatus.Pending, at.AddSeconds(10)); // not due before

        await using var db = _stack.CreateDbContext();
        var page1 = await DeliveryRequeue.LiveDueBeforeAsync(db, at.AddSeconds(5), null, 2, Ct);
        var page2 = await DeliveryRequeue.LiveDueBeforeAsync(db, at.AddSeconds(5), (page1[^1].DueAt, page1[^1].Delivery.Id), 2, Ct);

        // Each with its webhook and tenant, as the schedule holds it.
        Assert.Equal([(Queued(first), at.AddSeconds(1)), (Queued(second), at.AddSeconds(2))], page1);
        Assert.Equal([(Queued(third), at.AddSeconds(3))], page2);

        QueuedDelivery Queued(Guid id) => new(id, webhook.WebhookId, tenant.TenantId);
    }

    [Fact]
    public async Task Commit_then_schedule_schedules_only_what_committed_and_a_redis_failure_is_left_to_the_reconciler()
    {
        var scheduler = _stack.ApiServices.GetRequiredService<DeliveryScheduler>();
        var delivery = new QueuedDelivery(Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        var now = DateTimeOffset.UtcNow;

        var committed = await scheduler.CommitThenScheduleAsync(async () =>
        {
            Assert.False(await Publish.IsScheduledAsync(_stack, delivery)); // nothing in Redis before the commit returns
            return delivery;
        }, d => [(d, now)]);

        Assert.Equal(delivery, committed);
        Assert.True(await Publish.IsScheduledAsync(_stack, delivery));

        await using var nowhere = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:1,abortConnect=false,connectTimeout=100,syncTimeout=200,asyncTimeout=200");
        var unreachable = new DeliveryScheduler(new DeliveryQueue(nowhere, _stack.Queue.Keys), NullLogger<DeliveryScheduler>.Instance);
        Assert.False(await unreachable.ScheduleCommittedAsync([(delivery with { Id = Guid.CreateVersion7() }, now)]));
    }

    private async Task<DeliveryStatus> StatusAsync(Guid deliveryId)
    {
        await using var db = _stack.CreateDbContext();
        return await db.Deliveries.AsNoTracking().Where(d => d.Id == deliveryId).Select(d => d.Status).SingleAsync(Ct);
    }

    private static long UnixMillisecondsOf(Guid uuidV7)
    {
        var bytes = uuidV7.ToByteArray(bigEndian: true);
        return ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
    }
}
