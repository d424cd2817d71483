using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;
using Webhooks.Tests.Delivery;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Publishing.PublishingTestData;

namespace Webhooks.Tests.ScaleOut;

/// <summary>
/// A manual retry or recovery never starts a second attempt while one is in flight: a retry answers 409 and changes
/// nothing; a recovery requeues the rest and says how many it left to their attempt. Real Redis, both kinds.
/// </summary>
public abstract class InFlightRequeueTests(InfrastructureFixture infrastructure, RedisBackend backend)
{
    public sealed class Standalone(InfrastructureFixture infrastructure) : InFlightRequeueTests(infrastructure, RedisBackend.Standalone);

    public sealed class Cluster(InfrastructureFixture infrastructure) : InFlightRequeueTests(infrastructure, RedisBackend.Cluster);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_retry_while_the_attempt_is_in_flight_answers_409_and_the_next_retry_runs_once_it_has_ended()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int sending = 0, mostAtOnce = 0;
        receiver.Respond = async (context, _) =>
        {
            var now = Interlocked.Increment(ref sending);
            InterlockedMax(ref mostAtOnce, now);
            await release.Task.WaitAsync(Ct);
            Interlocked.Decrement(ref sending);
            context.Response.StatusCode = 200;
        };
        // No sweep during the test: the retry's attempt must come from the retry's own schedule, not the reconciler's.
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(("Webhooks:Reconciler:Interval", "01:00:00")),
            TestOutputLogger.Services(), redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/held"), ["sale.created"]);
        var id = (await Publish.EventAsync(stack, tenant, webhook)).DeliveryId;
        await Eventually.True(() => Task.FromResult(receiver.ReceivedAt("/held").Count == 1), "the first attempt to reach the receiver");
        using var client = stack.CreateClient(tenant.OwnerApiKey);

        var conflict = await client.PostAsync($"/v1/deliveries/{id}/retry", null, Ct);

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        var problem = await conflict.Content.ReadAsStringAsync(Ct);
        Assert.True(problem.Contains("in flight", StringComparison.Ordinal), problem);
        // Nothing changed: still only in flight in Redis, and the row as the Dispatcher left it.
        var keys = stack.Queue.Keys;
        var member = (await Publish.QueuedAsync(stack, id)).ToMember();
        Assert.Null(await stack.Redis.SortedSetScoreAsync(keys.Due, member));
        Assert.NotNull(await stack.Redis.SortedSetScoreAsync(keys.InFlight, member));
        Assert.Equal((DeliveryStatus.Pending, 0), await StatusAsync(stack, id));

        release.SetResult();
        var ended = await Publish.FinalAsync(stack, id);
        Assert.Equal((DeliveryStatus.Success, 1), (ended.Status, ended.AttemptCount));
        await Publish.AckedAsync(stack, [id]);
        Assert.Single(receiver.ReceivedAt("/held"));

        // Once the attempt has ended, a retry is accepted and runs at once.
        var accepted = await client.PostAsync($"/v1/deliveries/{id}/retry", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await Eventually.True(async () => (await Publish.DeliveryAsync(stack, id)).AttemptCount == 2, "the retry's attempt to be recorded");
        Assert.Equal(2, receiver.ReceivedAt("/held").Count);
        Assert.Equal(1, mostAtOnce);
    }

    [Fact]
    public async Task A_recovery_requeues_the_failed_deliveries_but_leaves_one_in_flight_to_its_attempt()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false, redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var hook = await Seed.WebhookAsync(stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = stack.CreateClient(tenant.OwnerApiKey);
        var inFlight = await Publish.QueuedAsync(stack, Guid.Parse((string)(await PublishAsync(client, "sale.created", new { n = 1 }))["deliveries"]![0]!["id"]!));
        var idle = await Publish.QueuedAsync(stack, Guid.Parse((string)(await PublishAsync(client, "sale.created", new { n = 2 }))["deliveries"]![0]!["id"]!));
        await SetStateAsync(stack, inFlight.Id, DeliveryStatus.Failed, 6);
        await SetStateAsync(stack, idle.Id, DeliveryStatus.Failed, 6);
        // A worker claimed one (say its final failure is written and its ack not yet sent, or it died holding the lease).
        await stack.ClearScheduleAsync();
        await stack.Queue.ScheduleAsync(inFlight, DateTimeOffset.UtcNow);
        Assert.Equal([inFlight], await stack.Queue.ClaimDueAsync(DateTimeOffset.UtcNow, 10, TimeSpan.FromMinutes(5)));

        var response = await client.PostAsJsonAsync($"/v1/webhooks/{hook.WebhookId}/recover", new { since = DateTimeOffset.UtcNow.AddDays(-1) }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Equal((1, 1), (body["requeued"]!.GetValue<int>(), body["inFlight"]!.GetValue<int>()));
        var keys = stack.Queue.Keys;
        Assert.Null(await stack.Redis.SortedSetScoreAsync(keys.Due, inFlight.ToMember()));
        Assert.NotNull(await stack.Redis.SortedSetScoreAsync(keys.Due, idle.ToMember()));
        Assert.Equal((DeliveryStatus.Failed, 6), await StatusAsync(stack, inFlight.Id));
        Assert.Equal((DeliveryStatus.Retrying, 6), await StatusAsync(stack, idle.Id));
    }

    private static async Task<(DeliveryStatus, int)> StatusAsync(TestStack stack, Guid id)
    {
        await using var db = stack.CreateDbContext();
        var row = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == id, Ct);
        return (row.Status, row.AttemptCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
