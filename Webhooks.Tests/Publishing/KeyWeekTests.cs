using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Webhooks.Core.Deliveries;
using Webhooks.Tests.Infrastructure;
using Webhooks.Tests.Retention;

namespace Webhooks.Tests.Publishing;

/// <summary>
/// Idempotency keys sit in weekly partitions, each unique per tenant on its own (see <see cref="KeyGuard"/>): a key stays
/// unique per tenant across weeks. Statement level (the publish insert on its own connections), around a chosen Monday
/// whose two weeks have their partitions, as the Dispatcher makes them.
/// </summary>
public sealed class KeyWeekTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    // A Monday 00:00 UTC before the database's own weeks; the partitions of it and of the week before are made below.
    private static readonly DateTimeOffset Boundary = new(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset JustBefore = Boundary.AddMinutes(-1);
    private static readonly DateTimeOffset JustAfter = Boundary.AddMinutes(10);
    private TestStack _stack = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        await RetentionRows.Maintainer(_stack, weeksAhead: 1).EnsureAsync(Boundary.AddDays(-7), Ct);
    }

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Two_concurrent_publishes_of_one_key_either_side_of_a_weeks_start_make_one_event_and_the_other_is_reported_taken(bool earlierFirst)
    {
        var tenant = await Seed.TenantAsync(_stack);
        var (earlier, later) = (Event(tenant, "straddle", JustBefore), Event(tenant, "straddle", JustAfter));
        var (first, second) = earlierFirst ? (earlier, later) : (later, earlier);

        await RaceAsync(first, second);
        Assert.Equal([first.Id], await EventsWithKeyAsync(tenant, "straddle"));
    }

    [Fact]
    public async Task Two_concurrent_publishes_of_one_key_in_one_week_make_one_event()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var (first, second) = (Event(tenant, "same-week", JustAfter), Event(tenant, "same-week", JustAfter.AddMinutes(1)));

        await RaceAsync(first, second);
        Assert.Equal([first.Id], await EventsWithKeyAsync(tenant, "same-week"));
    }

    /// <summary>The first publish holds its transaction open; the second runs meanwhile, and either waits for the first
    /// on a unique index or (were the two weeks' indexes all there is) completes on its own. Then the first commits, and
    /// the second must report its event's key taken.</summary>
    private async Task RaceAsync(NewDeliveries.NewEvent first, NewDeliveries.NewEvent second)
    {
        await using var holder = await _stack.DataSource.OpenConnectionAsync(Ct);
        await using var open = await holder.BeginTransactionAsync(Ct);
        Assert.Empty((await NewDeliveries.PublishAsync(holder, [first], Ct)).TakenKeyEvents);
        await using var other = await _stack.DataSource.OpenConnectionAsync(Ct);
        var racing = NewDeliveries.PublishAsync(other, [second], Ct);
        await Eventually.True(async () => racing.IsCompleted || await WaitsForALockAsync(), "the second publish to finish or wait for the first");
        await open.CommitAsync(Ct);

        Assert.Equal([second.Id], (await racing).TakenKeyEvents);
    }

    [Fact]
    public async Task One_key_twice_in_one_statement_makes_one_event_whether_its_events_share_a_week_or_not()
    {
        var tenant = await Seed.TenantAsync(_stack);
        await using var connection = await _stack.DataSource.OpenConnectionAsync(Ct);
        NewDeliveries.NewEvent[] straddling = [Event(tenant, "batch-straddle", JustAfter), Event(tenant, "batch-straddle", JustBefore)];
        NewDeliveries.NewEvent[] sameWeek = [Event(tenant, "batch-same", JustAfter), Event(tenant, "batch-same", JustAfter.AddMinutes(1))];

        var published = await NewDeliveries.PublishAsync(connection, [.. straddling, .. sameWeek], Ct);

        var straddleWinner = Assert.Single(await EventsWithKeyAsync(tenant, "batch-straddle"));
        Assert.Equal(straddling.Select(e => e.Id).Where(id => id != straddleWinner), published.TakenKeyEvents.Intersect(straddling.Select(e => e.Id)));
        Assert.Equal([sameWeek[0].Id], await EventsWithKeyAsync(tenant, "batch-same"));
        Assert.Contains(sameWeek[1].Id, published.TakenKeyEvents);
    }

    [Fact]
    public async Task A_key_of_an_older_week_still_answers_with_its_event_once_and_other_content_is_a_409()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var webhook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        await using (var connection = await _stack.DataSource.OpenConnectionAsync(Ct))
            await NewDeliveries.PublishAsync(connection, [Event(tenant, "old-week", Boundary.AddDays(-3)), Event(tenant, "guarded", JustAfter)], Ct);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        foreach (var key in new[] { "old-week", "guarded" })
        {
            var (status, body) = await PublishAsync(client, key, """{"n":1}""");
            Assert.Equal(HttpStatusCode.Accepted, status);
            Assert.Equal(Assert.Single(await EventsWithKeyAsync(tenant, key)), Guid.Parse((string)body["id"]!));
            // One event with its one delivery: the guard row of "guarded" (in the week before) is no second key.
            Assert.Equal([webhook.WebhookId], body["deliveries"]!.AsArray().Select(d => Guid.Parse((string)d!["webhookId"]!)));
            Assert.Equal(HttpStatusCode.Conflict, (await PublishAsync(client, key, """{"n":2}""")).Status);
        }
    }

    [Fact]
    public void Only_an_event_of_its_weeks_first_hour_guards_its_key_in_the_week_before()
    {
        Guid? GuardOf(DateTimeOffset at) => KeyGuard.GuardIdOf(Guid.CreateVersion7(at));
        DateTimeOffset? GuardTime(DateTimeOffset at) => GuardOf(at) is { } id
            ? DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(id.ToString("N")[..12], 16)) : null;

        Assert.Equal(JustAfter - KeyGuard.Window, GuardTime(JustAfter)); // 00:10 on Monday: in Sunday's last hour
        Assert.Equal(Boundary - KeyGuard.Window, GuardTime(Boundary));
        Assert.Null(GuardOf(Boundary + KeyGuard.Window)); // 01:00: the hour before is still Monday's
        Assert.Null(GuardOf(JustBefore)); // Sunday 23:59: its week began days ago
        Assert.Null(GuardOf(Boundary.AddDays(3)));
    }

    private static NewDeliveries.NewEvent Event(SeededTenant tenant, string key, DateTimeOffset createdAt) =>
        new(Guid.CreateVersion7(createdAt), tenant.TenantId, "sale.created", """{"n":1}""", key, createdAt, null);

    private async Task<Guid[]> EventsWithKeyAsync(SeededTenant tenant, string key)
    {
        await using var command = _stack.DataSource.CreateCommand("SELECT id FROM events WHERE tenant_id = $1 AND idempotency_key = $2 ORDER BY id");
        command.Parameters.AddWithValue(tenant.TenantId);
        command.Parameters.AddWithValue(key);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct)) ids.Add(reader.GetGuid(0));
        return [.. ids];
    }

    /// <summary>Whether another session of this database waits for a lock (the second publish, on the first's key).</summary>
    private async Task<bool> WaitsForALockAsync()
    {
        await using var command = _stack.DataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock')
            """);
        return (bool)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> PublishAsync(HttpClient client, string key, string data)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = new StringContent($$"""{"type":"sale.created","data":{{data}}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request, Ct);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!);
    }
}
