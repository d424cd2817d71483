using Webhooks.Core.Data;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Webhooks.Core.Deliveries;
using Webhooks.Dispatcher.Upkeep.Retention;
using Webhooks.Tests.Alerts;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Retention;

/// <summary>The idempotency keys of a week of events go with the week: their partition is dropped with the events', but
/// for the keys of the events it keeps; a repeat of a key then answers with its event or, once the key has expired, makes
/// a new one. A week whose keys have no partition of their own (the weeks before the upgrade that partitioned keys) has
/// them deleted before its drop.</summary>
public sealed class EventWeekKeysTests(InfrastructureFixture infrastructure)
{
    // A week before the database's first (the migration makes this week's and next week's), which nothing covers yet.
    private static readonly DateTimeOffset OldWeek = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    // Past FailedFor (120 days) after the week's end: its deliveries' week and then its events' week go in one run.
    private static readonly DateTimeOffset Now = OldWeek + 128 * Day;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_weeks_keys_are_dropped_with_it_but_a_kept_events_key_which_still_returns_that_event_while_an_expired_key_makes_a_new_event()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var week = await SeedWeekAsync(stack);
        // The young event, made in its week's first hour, also guards its key in OldWeek (see KeyGuard).
        Assert.Equal([("young", week.Young)], await RetentionRows.GuardsAsync(stack, week.Tenant.TenantId));

        var result = await RetentionRows.Cleaner(stack, batchSize: 1).RunOnceAsync(Now, Ct);

        Assert.Equal((1, 1, 1, 0, 0), (result.EventWeeks, result.KeyWeeks, result.KeptEvents, result.EventWeekKeys, result.KeysOfDroppedEvents));
        Assert.False(await RetentionRows.TableExistsAsync(stack, "events_p20260302"));
        Assert.False(await RetentionRows.TableExistsAsync(stack, "idempotency_keys_p20260302"));
        Assert.Equal([("kept", week.Kept), ("young", week.Young)], await RetentionRows.KeysAsync(stack, week.Tenant.TenantId));
        Assert.Empty(await RetentionRows.GuardsAsync(stack, week.Tenant.TenantId)); // the guard went with OldWeek
        Assert.Equal(["idempotency_keys_default", "idempotency_keys_p20260309"], await RetentionRows.KeyPartitionsAsync(stack, week.Tenant.TenantId));
        Assert.Equal(new HashSet<Guid>([week.Kept, week.Young]), await RetentionRows.EventIdsAsync(stack));

        using var client = stack.CreateClient(week.Tenant.OwnerApiKey);
        Assert.Equal(week.Kept, await PublishAsync(client, "kept"));
        var renewed = await PublishAsync(client, "gone-1");
        Assert.DoesNotContain(renewed, week.Gone);
        Assert.Contains(renewed, await RetentionRows.EventIdsAsync(stack));
        Assert.Equal(renewed, await PublishAsync(client, "gone-1")); // the key now holds its new event
        Assert.Equal(week.Young, await PublishAsync(client, "young"));
    }

    [Fact]
    public async Task A_run_stopped_between_the_keys_of_a_week_with_no_partition_of_keys_and_its_drop_leaves_no_key_without_its_event_and_the_next_run_drops_the_week()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var week = await SeedWeekAsync(stack, ownKeyPartition: false);

        // Someone reads events: the drop waits for its lock, and the run is stopped there (as by a Dispatcher stopping).
        await using var reader = await stack.DataSource.OpenConnectionAsync(Ct);
        await using var reading = await reader.BeginTransactionAsync(Ct);
        await using (var lockEvents = new NpgsqlCommand("LOCK TABLE events IN ACCESS SHARE MODE", reader, reading))
            await lockEvents.ExecuteNonQueryAsync(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = RetentionRows.Cleaner(stack, batchSize: 2).RunOnceAsync(Now, stop.Token);
        // The keys are gone while the drop still waits for its lock (not once it has given up).
        await Eventually.True(async () => (await RetentionRows.KeysAsync(stack, week.Tenant.TenantId)).Count == 2 && await DropWaitsAsync(stack),
            "the week's keys to go while its drop waits");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await reading.RollbackAsync(Ct);

        // The keys went before the week: every key left names an event that is there.
        Assert.True(await RetentionRows.TableExistsAsync(stack, "events_p20260302"));
        Assert.Equal([("kept", week.Kept), ("young", week.Young)], await RetentionRows.KeysAsync(stack, week.Tenant.TenantId));
        Assert.Superset(new HashSet<Guid>([week.Kept, week.Young, .. week.Gone]), await RetentionRows.EventIdsAsync(stack));
        using var client = stack.CreateClient(week.Tenant.OwnerApiKey);
        Assert.Equal(week.Kept, await PublishAsync(client, "kept"));
        var renewed = await PublishAsync(client, "gone-1");
        Assert.DoesNotContain(renewed, week.Gone);

        var next = await RetentionRows.Cleaner(stack, batchSize: 2).RunOnceAsync(Now, Ct);

        Assert.Equal((1, 0, 1, 0, 0), (next.EventWeeks, next.KeyWeeks, next.KeptEvents, next.EventWeekKeys, next.KeysOfDroppedEvents));
        Assert.False(await RetentionRows.TableExistsAsync(stack, "events_p20260302"));
        Assert.Equal([("gone-1", renewed), ("kept", week.Kept), ("young", week.Young)], await RetentionRows.KeysAsync(stack, week.Tenant.TenantId));
        Assert.Equal(week.Kept, await PublishAsync(client, "kept"));
    }

    [Fact]
    public async Task Keys_an_older_version_left_of_a_dropped_week_are_swept_and_keys_of_weeks_still_there_are_left_to_their_drop()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        await RetentionRows.Maintainer(stack, weeksAhead: 1).EnsureAsync(OldWeek + 7 * Day, Ct);
        // Keys with no event, as a run of an older version left them when stopped between a week's drop and its keys:
        // one of a week no partition covers any more, one of a week still there, and not yet past retention.
        var dropped = Guid.CreateVersion7(OldWeek + Day);
        var stillThere = Guid.CreateVersion7(OldWeek + 8 * Day);
        await using (var insert = stack.DataSource.CreateCommand(
            "INSERT INTO idempotency_keys (tenant_id, key, event_id) VALUES ($1, 'dropped', $2), ($1, 'still-there', $3)"))
        {
            insert.Parameters.AddWithValue(tenant.TenantId);
            insert.Parameters.AddWithValue(dropped);
            insert.Parameters.AddWithValue(stillThere);
            await insert.ExecuteNonQueryAsync(Ct);
        }

        // The events' cut-off falls inside the week still there: only the ranges no partition but DEFAULT covers are swept.
        var result = await RetentionRows.Cleaner(stack).RunOnceAsync(OldWeek + 12 * Day + 120 * Day, Ct);

        Assert.Equal((0, 0, 1), (result.EventWeeks, result.EventWeekKeys, result.KeysOfDroppedEvents));
        Assert.Equal([("still-there", stillThere)], await RetentionRows.KeysAsync(stack, tenant.TenantId));
    }

    [Fact]
    public async Task A_keys_partition_over_several_weeks_as_the_upgrade_leaves_the_old_table_is_emptied_week_by_week_and_dropped_after_its_last_week()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"]);
        await RetentionRows.Maintainer(stack, weeksAhead: 1).EnsureAsync(OldWeek, Ct);
        // The keys of OldWeek and the week after in one partition of everything before, as migration
        // PartitionedIdempotencyKeys attaches the old table: no week of events has a partition of keys of its own.
        await using (var replace = stack.DataSource.CreateCommand($"""
            DROP TABLE idempotency_keys_p20260302, idempotency_keys_p20260309;
            CREATE TABLE idempotency_keys_until_20260316 PARTITION OF idempotency_keys
                FOR VALUES FROM (MINVALUE) TO ('{WeeklyIds.LowestId(OldWeek + 14 * Day)}');
            CREATE UNIQUE INDEX ON idempotency_keys_until_20260316 (tenant_id, key);
            """))
            await replace.ExecuteNonQueryAsync(Ct);
        await using var connection = await stack.DataSource.OpenConnectionAsync(Ct);
        NewDeliveries.NewEvent Event(string key, DateTimeOffset created) =>
            new(Guid.CreateVersion7(created), tenant.TenantId, "sale.created", """{"n":1}""", key, created, null);
        NewDeliveries.NewEvent[] events = [Event("w1-gone", OldWeek + Day), Event("w1-kept", OldWeek + Day), Event("w2-gone", OldWeek + 8 * Day)];
        var published = await NewDeliveries.PublishAsync(connection, events, Ct);
        await RetentionRows.CompleteAsync(stack, [.. published.Deliveries.Where(d => d.EventId != events[1].Id).Select(d => d.Id)], OldWeek + Day);

        // The events' cut-off inside the second week: the first week goes, its keys deleted before it, the partition stays.
        var first = await RetentionRows.Cleaner(stack, batchSize: 1).RunOnceAsync(OldWeek + 8 * Day + 120 * Day, Ct);

        Assert.Equal((1, 0, 1, 1), (first.EventWeeks, first.KeyWeeks, first.KeptEvents, first.EventWeekKeys));
        Assert.Equal([("w1-kept", events[1].Id), ("w2-gone", events[2].Id)], await RetentionRows.KeysAsync(stack, tenant.TenantId));

        // The second week goes the same way; then no partition of events is left over the keys' partition: it is dropped,
        // the one key whose event is still there (kept by its pending delivery) copied back into DEFAULT.
        var second = await RetentionRows.Cleaner(stack, batchSize: 1).RunOnceAsync(OldWeek + 15 * Day + 120 * Day, Ct);

        Assert.Equal((1, 1, 0, 1), (second.EventWeeks, second.KeyWeeks, second.KeptEvents, second.EventWeekKeys));
        Assert.False(await RetentionRows.TableExistsAsync(stack, "idempotency_keys_until_20260316"));
        Assert.Equal([("w1-kept", events[1].Id)], await RetentionRows.KeysAsync(stack, tenant.TenantId));
        Assert.Equal(["idempotency_keys_default"], await RetentionRows.KeyPartitionsAsync(stack, tenant.TenantId));
        using var client = stack.CreateClient(tenant.OwnerApiKey);
        Assert.Equal(events[1].Id, await PublishAsync(client, "w1-kept"));
        Assert.DoesNotContain(await PublishAsync(client, "w2-gone"), events.Select(e => e.Id));
    }

    [Fact]
    public void The_ranges_swept_for_keys_left_behind_are_those_before_the_cutoff_no_partition_but_DEFAULT_covers()
    {
        DateTimeOffset Week(int n) => OldWeek + n * 7 * Day;
        DeliveryPartitions.Partition Part(int? from, int to) => new($"p{to}", from is { } f ? Week(f) : null, Week(to));
        var partitions = new[] { Part(3, 4), new DeliveryPartitions.Partition("events_default", null, null), Part(null, 1), Part(1, 2), Part(5, 6) };
        Guid Id(int week) => WeeklyIds.LowestId(Week(week));

        Assert.Equal([(Id(2), Id(3)), (Id(4), Id(5))], DeliveryPartitions.Uncovered(partitions, Week(5) + Day));
        Assert.Equal([(Id(2), Id(3)), (Id(4), Id(5)), (Id(6), Id(8))], DeliveryPartitions.Uncovered(partitions, Week(8)));
        Assert.Equal([(Id(2), WeeklyIds.LowestId(Week(2) + Day))], DeliveryPartitions.Uncovered(partitions, Week(2) + Day));
        Assert.Empty(DeliveryPartitions.Uncovered(partitions, Week(1) + Day));
        Assert.Equal([(Guid.Empty, Id(1))], DeliveryPartitions.Uncovered([Part(1, 2)], Week(1) + Day));
        Assert.Equal([(Guid.Empty, Id(0))], DeliveryPartitions.Uncovered([], Week(0)));
    }

    /// <summary>Events of OldWeek with their keys: two gone (delivered long ago, or with no delivery at all), one kept
    /// (its delivery still pending), and one of the first hour of the week after, not yet past retention. Without
    /// <paramref name="ownKeyPartition"/>, OldWeek's keys go to the DEFAULT partition, as keys of a week before the
    /// upgrade that partitioned them sit in the old table.</summary>
    private static async Task<SeededWeek> SeedWeekAsync(TestStack stack, bool ownKeyPartition = true)
    {
        var tenant = await Seed.TenantAsync(stack);
        await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"]);
        await RetentionRows.Maintainer(stack, weeksAhead: 1).EnsureAsync(OldWeek, Ct);
        if (!ownKeyPartition)
        {
            await using var drop = stack.DataSource.CreateCommand("DROP TABLE idempotency_keys_p20260302");
            await drop.ExecuteNonQueryAsync(Ct);
        }
        await using var connection = await stack.DataSource.OpenConnectionAsync(Ct);
        NewDeliveries.NewEvent Event(string? key, string type, DateTimeOffset created) =>
            new(Guid.CreateVersion7(created), tenant.TenantId, type, """{"n":1}""", key, created, null);
        var created = OldWeek + Day;
        NewDeliveries.NewEvent[] events =
        [
            Event("gone-1", "sale.created", created), Event("gone-2", "sale.refunded", created), Event(null, "sale.created", created),
            Event("kept", "sale.created", created), Event("young", "sale.created", OldWeek + 7 * Day + TimeSpan.FromMinutes(10)),
        ];
        var published = await NewDeliveries.PublishAsync(connection, events, Ct);
        await RetentionRows.CompleteAsync(stack, [.. published.Deliveries.Where(d => d.EventId != events[3].Id).Select(d => d.Id)], created.AddMinutes(1));
        return new SeededWeek(tenant, [events[0].Id, events[1].Id, events[2].Id], events[3].Id, events[4].Id);
    }

    private sealed record SeededWeek(SeededTenant Tenant, Guid[] Gone, Guid Kept, Guid Young);

    /// <summary>Whether a session waits for a lock on the events table (the drop's).</summary>
    private static async Task<bool> DropWaitsAsync(TestStack stack)
    {
        await using var command = stack.DataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'events'::regclass
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
            """);
        return (bool)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>Publishes the seeded events' type and data with <paramref name="key"/>; the event id of the 202.</summary>
    private static async Task<Guid> PublishAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = JsonContent.Create(new { type = "sale.created", data = new { n = 1 } }) };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((string)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]!);
    }
}
