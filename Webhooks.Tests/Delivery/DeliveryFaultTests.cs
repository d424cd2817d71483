using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;
using Webhooks.Core.Signing;
using Webhooks.Dispatcher.Claiming;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

/// <summary>What goes wrong around the Dispatcher: hostile URLs, a lost Redis schedule, restarts, hanging endpoints.</summary>
public sealed class DeliveryFaultTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The first attempt and one per retry of <see cref="Publish.FastSettings"/>.</summary>
    private const int FastRetryAttempts = 6;

    [Fact]
    public async Task The_ssrf_guard_refuses_a_loopback_literal_for_good_and_a_name_resolving_to_it_without_naming_the_address()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure,
            Publish.FastSettings(("Webhooks:Delivery:AllowPrivateNetworks", "false")), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var literal = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/literal"), ["sale.created"]);
        // A name, resolved at connect time, is judged by the addresses it resolves to.
        var named = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/named").Replace("127.0.0.1", "localhost"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, [literal, named]);

        var deliveries = (await Publish.AllFinalAsync(stack, published.DeliveryIds)).ToDictionary(d => d.Id);
        Assert.All(deliveries.Values, d => Assert.Equal(DeliveryStatus.Failed, d.Status));
        // A literal address is the tenant's own text: refused for good, saying why.
        Assert.Equal(1, deliveries[published.DeliveryIds[0]].AttemptCount);
        var literalAttempt = Assert.Single(await Publish.AttemptsAsync(stack, published.DeliveryIds[0]));
        Assert.Equal("blocked: 127.0.0.1 is a loopback address", literalAttempt.Error);
        Assert.Null(literalAttempt.ResponseStatus);
        // A name reads like a DNS failure, retried, and never shows what it resolved to.
        var namedAttempts = await Publish.AttemptsAsync(stack, published.DeliveryIds[1]);
        Assert.Equal(FastRetryAttempts, namedAttempts.Count);
        Assert.All(namedAttempts, a =>
        {
            Assert.Equal("localhost did not resolve to a public address", a.Error);
            Assert.Null(a.ResponseStatus);
        });
        Assert.Empty(receiver.Received);

        await using var db = stack.CreateDbContext();
        var failures = await db.Webhooks.AsNoTracking().ToDictionaryAsync(w => w.Id, w => w.ConsecutiveFailures, Ct);
        Assert.Equal(1, failures[literal.WebhookId]);
        Assert.Equal(FastRetryAttempts, failures[named.WebhookId]);
    }

    [Fact]
    public async Task Deliveries_pending_when_redis_is_flushed_are_restored_by_the_reconciler_at_start()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services(), withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/a"), ["sale.created"]);
        var deliveryIds = new List<Guid>();
        for (var i = 0; i < 10; i++) deliveryIds.AddRange((await Publish.EventAsync(stack, tenant, webhook)).DeliveryIds);
        Assert.Equal(10, await Publish.ScheduledCountAsync(stack, deliveryIds));

        await stack.ClearScheduleAsync();
        Assert.Equal(0, await Publish.ScheduledCountAsync(stack, deliveryIds));
        stack.StartDispatcher();

        var deliveries = await Publish.AllFinalAsync(stack, deliveryIds);
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.Success, d.Status));
        Assert.Equal(deliveryIds.Order(), receiver.Received.Select(r => Guid.Parse(r.Headers[WebhookHeaders.StandardId])).Distinct().Order());
    }

    [Fact]
    public async Task Retrying_deliveries_survive_a_redis_flush_while_the_dispatcher_runs()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var seen = new ConcurrentDictionary<string, int>();
        receiver.Respond = (context, request) =>
        {
            // Each delivery fails its first attempt, so it waits in the schedule for its retry.
            var attempt = seen.AddOrUpdate(request.Headers[WebhookHeaders.StandardId], 1, (_, n) => n + 1);
            context.Response.StatusCode = attempt == 1 ? 500 : 200;
            return Task.CompletedTask;
        };
        // Retries 3 s out: long enough that the probe below sees all twenty waiting at once on a busy machine.
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.Settings([3000]), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/a"), ["sale.created"]);
        var deliveryIds = new List<Guid>();
        for (var i = 0; i < 20; i++) deliveryIds.AddRange((await Publish.EventAsync(stack, tenant, webhook)).DeliveryIds);
        await Eventually.True(async () =>
        {
            await using var db = stack.CreateDbContext();
            return await db.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Retrying, Ct) == 20;
        }, "every delivery to wait for its retry");

        await stack.ClearScheduleAsync();

        var deliveries = await Publish.AllFinalAsync(stack, deliveryIds);
        Assert.All(deliveries, d =>
        {
            Assert.Equal(DeliveryStatus.Success, d.Status);
            Assert.Equal(2, d.AttemptCount);
        });
    }

    [Fact]
    public async Task Deliveries_committed_but_never_scheduled_are_still_delivered()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services(),
            withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/a"), ["sale.created"]);

        // As if the Api crashed between its commit and its schedule: committed, then gone from Redis.
        var deliveryIds = new List<Guid>();
        for (var i = 0; i < 5; i++) deliveryIds.AddRange((await Publish.EventAsync(stack, tenant, webhook)).DeliveryIds);
        await stack.ClearScheduleAsync();
        stack.StartDispatcher();

        var deliveries = await Publish.AllFinalAsync(stack, deliveryIds);
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.Success, d.Status));
    }

    [Fact]
    public async Task Stopping_the_dispatcher_mid_batch_loses_no_delivery()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = async (context, _) =>
        {
            try
            {
                // Until the test says otherwise, every request hangs: the Dispatcher stops with sends in progress.
                await hang.Task.WaitAsync(TestTimeouts.Condition, context.RequestAborted);
                context.Response.StatusCode = 200;
            }
            catch (OperationCanceledException)
            {
            }
        };
        await using var stack = await TestStack.StartAsync(infrastructure,
            Publish.FastSettings(("Webhooks:Delivery:MaxConcurrency", "4")), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/a"), ["sale.created"]);
        var deliveryIds = new List<Guid>();
        for (var i = 0; i < 20; i++) deliveryIds.AddRange((await Publish.EventAsync(stack, tenant, webhook)).DeliveryIds);
        await Eventually.True(() => Task.FromResult(receiver.Received.Count >= 4), "four sends in progress");

        await stack.StopDispatcherAsync();
        hang.SetResult();
        stack.StartDispatcher();

        var deliveries = await Publish.AllFinalAsync(stack, deliveryIds);
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.Success, d.Status));
        var received = receiver.Received.Select(r => Guid.Parse(r.Headers[WebhookHeaders.StandardId])).ToList();
        Assert.Equal(deliveryIds.Order(), received.Distinct().Order());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{received.Count} requests for {deliveryIds.Count} deliveries ({received.Count - received.Distinct().Count()} duplicates, allowed: at least once)");
    }

    [Fact]
    public async Task A_hanging_endpoint_does_not_delay_deliveries_to_another()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = async (context, _) =>
        {
            try
            {
                if (context.Request.Path == "/hooks/hanging") await release.Task.WaitAsync(TestTimeouts.Condition, context.RequestAborted);
                context.Response.StatusCode = 200;
            }
            catch (OperationCanceledException)
            {
            }
        };
        await using var stack = await TestStack.StartAsync(infrastructure,
            Publish.FastSettings(("Webhooks:Delivery:RequestTimeout", "00:00:20")), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var hanging = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/hanging"), ["sale.created"]);
        var healthy = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/healthy"), ["sale.updated"]);
        for (var i = 0; i < 20; i++) await Publish.EventAsync(stack, tenant, hanging);
        await Eventually.True(() => Task.FromResult(receiver.ReceivedAt("/hooks/hanging").Count == 20), "twenty hanging sends");

        var published = new List<PublishedEvent>();
        for (var i = 0; i < 20; i++) published.Add(await Publish.EventAsync(stack, tenant, healthy, "sale.updated"));

        var deliveries = await Publish.AllFinalAsync(stack, published.Select(p => p.DeliveryId).ToList());
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.Success, d.Status));
        var latencies = published.Select(p => receiver.ReceivedAt("/hooks/healthy")
            .Single(r => r.Headers[WebhookHeaders.StandardId] == p.DeliveryId.ToString()).ReceivedAt - p.PublishedAt).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"healthy endpoint, slowest delivery: {latencies.Max().TotalMilliseconds:0} ms");
        // A generous deadline, not a speed test (./bench.sh measures speed): had the hanging sends held up the healthy
        // ones, these would have waited out the hanging sends' 20 s timeout.
        Assert.All(latencies, l => Assert.True(l < TimeSpan.FromSeconds(10), $"took {l}"));
        release.SetResult();
    }

    [Fact]
    public async Task A_publish_wakes_a_sleeping_dispatcher()
    {
        await using var receiver = await TestReceiver.StartAsync();
        // The clock never moves: the Dispatcher's sleep between claims (on this clock) can only end by a wake, which
        // is what takes a delivery from publish to receipt in milliseconds (./bench.sh measures how many).
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), services =>
        {
            TestOutputLogger.Services()(services);
            services.AddSingleton<TimeProvider>(clock);
        });
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/a"), ["sale.created"]);

        for (var i = 0; i < 3; i++)
        {
            var published = await Publish.EventAsync(stack, tenant, webhook);
            var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
            Assert.Equal(DeliveryStatus.Success, delivery.Status);
        }
        Assert.Equal(3, receiver.ReceivedAt("/hooks/a").Count);
    }

    [Fact]
    public async Task A_refused_connection_is_recorded_readably_and_retried()
    {
        var receiver = await TestReceiver.StartAsync();
        var closedUrl = receiver.Url("/hooks/gone");
        await receiver.DisposeAsync(); // nothing listens on that port any more
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.Settings([50]), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, closedUrl, ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);

        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
        Assert.Equal(DeliveryStatus.Failed, delivery.Status);
        var attempts = await Publish.AttemptsAsync(stack, published.DeliveryId);
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.StartsWith("connection refused (127.0.0.1:", a.Error));
    }

    [Fact]
    public async Task A_postgres_outage_leaves_deliveries_in_flight_and_they_are_delivered_when_it_returns()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(
            ("Webhooks:Delivery:RequestTimeout", "00:00:01"),
            ("Webhooks:Delivery:LeaseMargin", "00:00:00.500"),
            ("Webhooks:Reconciler:Interval", "01:00:00")), TestOutputLogger.Services(), withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/a"), ["sale.created"]);
        var deliveryIds = new List<Guid>();
        for (var i = 0; i < 5; i++) deliveryIds.AddRange((await Publish.EventAsync(stack, tenant, webhook)).DeliveryIds);

        // The Dispatcher checks its encryption keys against Postgres before it starts, so it starts while Postgres is
        // up; its deliveries come due a few seconds later, once Postgres is gone.
        var dueAt = DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds();
        var queued = await Publish.QueuedAsync(stack, deliveryIds);
        foreach (var delivery in queued)
            await stack.Redis.SortedSetAddAsync(stack.Queue.Keys.Due, delivery.ToMember(), dueAt, SortedSetWhen.Exists);
        stack.StartDispatcher();
        await SetDatabaseOnlineAsync(stack, false);
        try
        {
            // Claimed, unreadable, left in flight (reaped back to due when the lease ends): never lost, never sent.
            var backoff = stack.DispatcherServices.GetRequiredService<ClaimBackoff>();
            await Eventually.True(() => Task.FromResult(backoff.Remaining > TimeSpan.Zero), "the Dispatcher to notice the outage and back off");
            Assert.Equal(5, await Publish.ScheduledCountAsync(stack, queued));
            Assert.Empty(receiver.Received);
        }
        finally
        {
            await SetDatabaseOnlineAsync(stack, true);
        }

        var deliveries = await Publish.AllFinalAsync(stack, deliveryIds);
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.Success, d.Status));
    }

    /// <summary>Takes the stack's database away from every client (new connections refused, open ones killed), or back.</summary>
    private async Task SetDatabaseOnlineAsync(TestStack stack, bool online)
    {
        await using var connection = new Npgsql.NpgsqlConnection(
            new Npgsql.NpgsqlConnectionStringBuilder(infrastructure.PostgresServerConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"ALTER DATABASE \"{stack.DatabaseName}\" ALLOW_CONNECTIONS {(online ? "true" : "false")};"
            + (online ? "" : $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{stack.DatabaseName}';");
        await command.ExecuteNonQueryAsync(Ct);
        // The test's own pooled connections were killed too: drop them rather than fail the next probe with 57P01.
        if (online) stack.DataSource.Clear();
    }
}
