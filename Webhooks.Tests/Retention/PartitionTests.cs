using Webhooks.Core.Deliveries;
using Webhooks.Dispatcher.Upkeep.Retention;
using Webhooks.Tests.Alerts;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Core.Data.Entities.DeliveryStatus;

namespace Webhooks.Tests.Retention;

/// <summary>Weekly partitions of deliveries, attempts and events: made ahead, and dropped whole by retention.</summary>
public sealed class PartitionTests(InfrastructureFixture infrastructure)
{
    // Weeks start on Monday 00:00 UTC; this one is far from the real clock, so no partition covers it yet.
    private static readonly DateTimeOffset Week = new(2027, 3, 8, 0, 0, 0, TimeSpan.Zero);
    // A week before the database's first (the migration makes this week's and next week's), which nothing covers yet.
    private static readonly DateTimeOffset OldWeek = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Weeks_are_created_ahead_once_even_by_two_Dispatchers_and_a_row_of_any_time_inserts()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var hook = (await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"])).WebhookId;

        var runs = await Task.WhenAll(
            Task.Run(() => RetentionRows.Maintainer(stack, weeksAhead: 2).EnsureAsync(Week + 3 * Day, Ct), Ct),
            Task.Run(() => RetentionRows.Maintainer(stack, weeksAhead: 2).EnsureAsync(Week + 3 * Day, Ct), Ct));

        string[] weeks = ["20270308", "20270315", "20270322"];
        Assert.Equal(weeks.Select(w => $"deliveries_p{w}").Concat(weeks.Select(w => $"delivery_attempts_p{w}"))
                .Concat(weeks.Select(w => $"events_p{w}")).Concat(weeks.Select(w => $"idempotency_keys_p{w}")).Order(),
            runs.SelectMany(created => created ?? []).Order());
        // Each week of keys with the unique index that makes a key unique within it.
        await using (var indexes = stack.DataSource.CreateCommand("""
            SELECT string_agg(indexname || ' ' || substring(indexdef FROM '^CREATE UNIQUE INDEX .* \((.*)\)$'), '; ' ORDER BY indexname)
            FROM pg_indexes WHERE tablename LIKE 'idempotency_keys_p2027%' AND indexdef LIKE 'CREATE UNIQUE INDEX%'
            """))
            Assert.Equal(string.Join("; ", weeks.Select(w => $"ux_idempotency_keys_p{w}_tenant_id_key tenant_id, key")), await indexes.ExecuteScalarAsync(Ct));
        Assert.Empty((await RetentionRows.Maintainer(stack, weeksAhead: 2).EnsureAsync(Week + 3 * Day, Ct))!);

        var inWeek = await SeedHistory.DeliveryAsync(stack, tenant, hook, Success, Week + 2 * Day, attempts: 1);
        var noWeek = await SeedHistory.DeliveryAsync(stack, tenant, hook, Pending, new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal("deliveries_p20270308", await RetentionRows.PartitionOfAsync(stack, inWeek));
        Assert.Equal("deliveries_default", await RetentionRows.PartitionOfAsync(stack, noWeek));
    }

    [Fact]
    public async Task A_week_past_retention_is_dropped_whole_and_what_must_stay_survives_with_its_attempts_and_events()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var hook = (await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"])).WebhookId;
        await RetentionRows.Maintainer(stack, weeksAhead: 1).EnsureAsync(OldWeek, Ct);
        // 91 days after the week's end: past SuccessfulFor (90 days) even after the longest retry chain (~8.6 h), not
        // past FailedFor (120); the next week is not past it yet.
        var now = OldWeek + 98 * Day;
        var created = OldWeek + Day;

        var success = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, created, attempts: 2);
        var failed = await RetentionRows.FinishedAsync(stack, tenant, hook, Failed, created + Day, attempts: 6);
        var pending = await SeedHistory.DeliveryAsync(stack, tenant, hook, Pending, created);
        var retrying = await SeedHistory.DeliveryAsync(stack, tenant, hook, Retrying, created, attempts: 3);
        // Created that week, failed, then retried by hand and delivered five days ago: successful for 5 days only.
        var retriedLate = await SeedHistory.DeliveryAsync(stack, tenant, hook, Success, created, now - 5 * Day, attempts: 7);
        var nextWeek = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, OldWeek + 10 * Day);
        Assert.Equal("deliveries_p20260302", await RetentionRows.PartitionOfAsync(stack, success));
        var events = await RetentionRows.EventIdsAsync(stack);

        var result = await RetentionRows.Cleaner(stack).RunOnceAsync(now, Ct);

        Assert.Equal((1, 4), (result.Weeks, result.KeptDeliveries));
        Assert.False(await RetentionRows.TableExistsAsync(stack, "deliveries_p20260302"));
        Assert.False(await RetentionRows.TableExistsAsync(stack, "delivery_attempts_p20260302"));
        Assert.Equal(new HashSet<Guid>([failed, pending, retrying, retriedLate, nextWeek]), await RetentionRows.DeliveryIdsAsync(stack));
        foreach (var kept in new[] { failed, pending, retrying, retriedLate })
            Assert.Equal("deliveries_default", await RetentionRows.PartitionOfAsync(stack, kept));
        Assert.Equal(new Dictionary<Guid, int> { [success] = 0, [failed] = 6, [pending] = 0, [retrying] = 3, [retriedLate] = 7, [nextWeek] = 1 },
            await RetentionRows.AttemptsOfAsync(stack, success, failed, pending, retrying, retriedLate, nextWeek));
        // Events go only once past the longer retention and left with no delivery: none is yet.
        Assert.Equal(events, await RetentionRows.EventIdsAsync(stack));

        // The same occurrence again finds nothing more to drop or delete.
        Assert.Equal(new RetentionResult(true, 0, 0, 0, 0, 0), await RetentionRows.Cleaner(stack).RunOnceAsync(now, Ct));

        // A month on, the kept failed delivery is past FailedFor: deleted row by row from DEFAULT, with its attempts and
        // event; and the next week is dropped too.
        var later = await RetentionRows.Cleaner(stack).RunOnceAsync(now + 30 * Day, Ct);
        Assert.Equal((0, 1, 6, 1), (later.SuccessfulDeliveries, later.FailedDeliveries, later.Attempts, later.Weeks));
        Assert.Equal(new HashSet<Guid>([pending, retrying, retriedLate]), await RetentionRows.DeliveryIdsAsync(stack));
        Assert.Equal(events.Count - 2, (await RetentionRows.EventIdsAsync(stack)).Count); // the success's and the failed one's
    }

    [Fact]
    public async Task A_week_of_events_is_dropped_whole_keeping_the_events_kept_deliveries_need_and_a_dropped_events_key_can_be_used_again()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var hook = (await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"])).WebhookId;
        await RetentionRows.Maintainer(stack, weeksAhead: 1).EnsureAsync(OldWeek, Ct);
        // Past FailedFor (120 days) after the week's end, so past both retentions: the deliveries' week and then the
        // events' week are dropped in one run.
        var now = OldWeek + 128 * Day;
        var created = OldWeek + Day;
        await using var connection = await stack.DataSource.OpenConnectionAsync(Ct);
        NewDeliveries.NewEvent Event(string? key) =>
            new(Guid.CreateVersion7(created), tenant.TenantId, "sale.created", """{"n":1}""", key, created, null);
        NewDeliveries.NewEvent[] events = [Event("gone"), Event(null), Event("kept")];
        var published = await NewDeliveries.PublishAsync(connection, events, Ct);
        Assert.Empty(published.TakenKeyEvents);
        // The first two delivered long ago; the last one's delivery still pending, so its event must stay.
        await RetentionRows.CompleteAsync(stack, [.. published.Deliveries.Where(d => d.EventId != events[2].Id).Select(d => d.Id)], created.AddMinutes(1));
        var nextWeek = await SeedHistory.EventAsync(stack, tenant, OldWeek + 10 * Day); // not past the cut-off yet
        Assert.Equal("events_p20260302", await RetentionRows.EventPartitionOfAsync(stack, events[0].Id));

        var result = await RetentionRows.Cleaner(stack, batchSize: 1).RunOnceAsync(now, Ct);

        // The deliveries' weeks of OldWeek and the (empty) one after; only OldWeek's events are past the events' cut-off.
        // Its keys went with it: their week's partition dropped, none deleted one by one.
        Assert.Equal((2, 1, 1, 1, 0, 0),
            (result.Weeks, result.EventWeeks, result.KeyWeeks, result.KeptEvents, result.EventWeekKeys, result.KeysOfDroppedEvents));
        Assert.Equal(0, result.Events); // none deleted row by row
        Assert.False(await RetentionRows.TableExistsAsync(stack, "events_p20260302"));
        Assert.False(await RetentionRows.TableExistsAsync(stack, "idempotency_keys_p20260302"));
        Assert.Equal(["idempotency_keys_default"], await RetentionRows.KeyPartitionsAsync(stack, tenant.TenantId));
        Assert.Equal(new HashSet<Guid>([events[2].Id, nextWeek]), await RetentionRows.EventIdsAsync(stack));
        Assert.Equal("events_default", await RetentionRows.EventPartitionOfAsync(stack, events[2].Id));
        Assert.Equal([("kept", events[2].Id)], await RetentionRows.KeysAsync(stack, tenant.TenantId));

        // The same occurrence again finds nothing more to drop or delete.
        Assert.Equal(new RetentionResult(true, 0, 0, 0, 0, 0), await RetentionRows.Cleaner(stack).RunOnceAsync(now, Ct));

        // A key lives as long as its event: the dropped event's key makes a new event; the kept one's is still taken.
        var again = new NewDeliveries.NewEvent(Guid.CreateVersion7(now), tenant.TenantId, "sale.created", "{}", "gone", now, null);
        var retaken = new NewDeliveries.NewEvent(Guid.CreateVersion7(now), tenant.TenantId, "sale.created", "{}", "kept", now, null);
        var republished = await NewDeliveries.PublishAsync(connection, [again, retaken], Ct);
        Assert.Equal([retaken.Id], republished.TakenKeyEvents);
        Assert.Equal([again.Id], republished.Deliveries.Select(d => d.EventId));
        Assert.Equal(new[] { ("gone", again.Id), ("kept", events[2].Id) }, await RetentionRows.KeysAsync(stack, tenant.TenantId));
    }

    [Fact]
    public async Task Events_deleted_row_by_row_take_their_keys_with_them()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        // No weekly partition covers this week: the event lands in DEFAULT, and is deleted row by row.
        var created = OldWeek + Day;
        await using var connection = await stack.DataSource.OpenConnectionAsync(Ct);
        var evt = new NewDeliveries.NewEvent(Guid.CreateVersion7(created), tenant.TenantId, "sale.created", "{}", "old", created, null);
        await NewDeliveries.PublishAsync(connection, [evt], Ct);
        Assert.Equal("events_default", await RetentionRows.EventPartitionOfAsync(stack, evt.Id));

        var result = await RetentionRows.Cleaner(stack).RunOnceAsync(OldWeek + 128 * Day, Ct);

        Assert.Equal((1, 0, 0), (result.Events, result.EventWeeks, result.KeysOfDroppedEvents));
        Assert.Empty(await RetentionRows.KeysAsync(stack, tenant.TenantId));
    }

    [Fact]
    public async Task Two_Dispatchers_dropping_the_same_week_keep_each_row_once()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var hook = (await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"])).WebhookId;
        await RetentionRows.Maintainer(stack, weeksAhead: 1).EnsureAsync(OldWeek, Ct);
        var now = OldWeek + 98 * Day;
        for (var i = 0; i < 5; i++) await RetentionRows.FinishedAsync(stack, tenant, hook, Success, OldWeek + i * Day, attempts: 1);
        var failed = await RetentionRows.FinishedAsync(stack, tenant, hook, Failed, OldWeek + Day, attempts: 2);

        var results = await Task.WhenAll(
            Task.Run(() => RetentionRows.Cleaner(stack).RunOnceAsync(now, Ct), Ct),
            Task.Run(() => RetentionRows.Cleaner(stack).RunOnceAsync(now, Ct), Ct));

        Assert.Equal(1, results.Sum(r => r.Weeks));
        Assert.Equal(1, results.Sum(r => r.KeptDeliveries));
        Assert.Equal([failed], await RetentionRows.DeliveryIdsAsync(stack));
        Assert.Equal(2, await RetentionRows.AttemptCountAsync(stack));
    }
}
