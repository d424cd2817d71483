using Microsoft.Extensions.Logging.Abstractions;
using Webhooks.Dispatcher.Alerts;
using Webhooks.Core.Options;
using Webhooks.Dispatcher;
using Webhooks.Dispatcher.Telemetry;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Signing;
using Webhooks.Dispatcher.Claiming;
using Webhooks.Dispatcher.Recording;
using Webhooks.Dispatcher.Retrying;
using Webhooks.Dispatcher.Sending;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

/// <summary>How attempts fail and are retried: statuses, schedule, timeouts, redirects, Retry-After, the attempt fence.</summary>
public sealed class RetryTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_receiver_failing_three_times_then_succeeding_gets_exactly_four_attempts_on_schedule()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var secondAttemptMayAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        receiver.Respond = async (context, _) =>
        {
            var call = Interlocked.Increment(ref calls);
            if (call == 2) await secondAttemptMayAnswer.Task.WaitAsync(TestTimeouts.Condition, context.RequestAborted);
            context.Response.StatusCode = call <= 3 ? 500 : 200;
            await context.Response.WriteAsync(call <= 3 ? "not yet" : "ok", context.RequestAborted);
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/flaky"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);

        var afterFirst = await Eventually.Get(() => Publish.DeliveryAsync(stack, published.DeliveryId), d => d.AttemptCount == 1, "the first attempt");
        Assert.Equal(DeliveryStatus.Retrying, afterFirst.Status);
        Assert.NotNull(afterFirst.NextAttemptAt);
        Assert.Null(afterFirst.CompletedAt);
        await Eventually.True(() => Task.FromResult(Volatile.Read(ref calls) >= 2), "the second attempt to arrive");
        Assert.Equal(DeliveryStatus.Retrying, (await Publish.DeliveryAsync(stack, published.DeliveryId)).Status);
        secondAttemptMayAnswer.SetResult();

        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
        Assert.Equal(DeliveryStatus.Success, delivery.Status);
        Assert.Equal(4, delivery.AttemptCount);
        var attempts = await Publish.AttemptsAsync(stack, published.DeliveryId);
        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a.Number));
        Assert.Equal([500, 500, 500, 200], attempts.Select(a => a.ResponseStatus ?? 0));
        Assert.Equal("not yet", attempts[0].ResponseBody);
        var requests = receiver.ReceivedAt("/hooks/flaky");
        Assert.Equal(4, requests.Count);
        Assert.Single(requests.Select(r => r.Headers[WebhookHeaders.StandardId]).Distinct());
        Assert.Single(requests.Select(r => r.Body).Distinct());

        // Each retry waits its scheduled delay after the previous attempt ended. (How punctually is ./bench.sh's retry
        // scenario: here the upper bound is only a generous deadline.)
        int[] schedule = [50, 100, 150];
        for (var i = 0; i < 3; i++)
        {
            var gap = (attempts[i + 1].StartedAt - attempts[i].StartedAt).TotalMilliseconds - attempts[i].DurationMs;
            TestContext.Current.TestOutputHelper?.WriteLine($"retry {i + 1}: scheduled {schedule[i]} ms, waited {gap:0.0} ms");
            Assert.InRange(gap, schedule[i] - 5, schedule[i] + 10_000);
        }

        await using var db = stack.CreateDbContext();
        var health = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhook.WebhookId, Ct);
        Assert.Equal(0, health.ConsecutiveFailures);
        Assert.NotNull(health.LastFailureAt);
        Assert.NotNull(health.LastSuccessAt);
    }

    [Fact]
    public async Task Exhausting_the_schedule_fails_the_delivery_after_schedule_plus_one_attempts()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = (context, _) =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/down"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);

        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
        Assert.Equal(DeliveryStatus.Failed, delivery.Status);
        Assert.Equal(6, delivery.AttemptCount);
        Assert.Null(delivery.NextAttemptAt);
        Assert.NotNull(delivery.CompletedAt);
        var attempts = await Publish.AttemptsAsync(stack, published.DeliveryId);
        Assert.Equal([1, 2, 3, 4, 5, 6], attempts.Select(a => a.Number));
        Assert.All(attempts, a => Assert.Equal(500, a.ResponseStatus));
        Assert.Equal(6, receiver.ReceivedAt("/hooks/down").Count);
        await Publish.AckedAsync(stack, published.DeliveryIds);

        await using var db = stack.CreateDbContext();
        var health = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhook.WebhookId, Ct);
        Assert.Equal(6, health.ConsecutiveFailures);
        Assert.NotNull(health.LastFailureAt);
        Assert.Null(health.LastSuccessAt);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_counts_as_a_failure()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = (context, _) =>
        {
            context.Response.StatusCode = context.Request.Path == "/hooks/moved" ? 302 : 200;
            context.Response.Headers.Location = receiver.Url("/elsewhere");
            return Task.CompletedTask;
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.Settings([50]), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/moved"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);

        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
        Assert.Equal(DeliveryStatus.Failed, delivery.Status);
        var attempts = await Publish.AttemptsAsync(stack, published.DeliveryId);
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(302, a.ResponseStatus));
        Assert.All(attempts, a => Assert.Equal($"redirect not followed (Location: {receiver.Url("/elsewhere")})", a.Error));
        Assert.Empty(receiver.ReceivedAt("/elsewhere"));
    }

    [Fact]
    public async Task A_slow_receiver_times_out_with_the_timeout_recorded()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = async (context, _) =>
        {
            try
            {
                await Task.Delay(TestTimeouts.Condition, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The Dispatcher gave up, as it should.
            }
        };
        await using var stack = await TestStack.StartAsync(infrastructure,
            Publish.Settings([50], ("Webhooks:Delivery:RequestTimeout", "00:00:00.300")), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/slow"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);

        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
        Assert.Equal(DeliveryStatus.Failed, delivery.Status);
        var attempts = await Publish.AttemptsAsync(stack, published.DeliveryId);
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a =>
        {
            Assert.Equal("timed out after 0.3 s", a.Error);
            Assert.Null(a.ResponseStatus);
            Assert.InRange(a.DurationMs, 290, 10_000); // cut at the timeout, long before the receiver would answer
        });
    }

    [Fact]
    public async Task A_huge_response_body_is_stored_truncated()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = async (context, _) =>
        {
            context.Response.StatusCode = 200;
            try
            {
                await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes(new string('x', 1024 * 1024)), context.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The Dispatcher stops reading after the kept part and closes the connection.
            }
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/chatty"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);

        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
        Assert.Equal(DeliveryStatus.Success, delivery.Status);
        var attempt = Assert.Single(await Publish.AttemptsAsync(stack, published.DeliveryId));
        Assert.Equal(10240, attempt.ResponseBody!.Length);
        Assert.All(attempt.ResponseBody, c => Assert.Equal('x', c));
    }

    [Fact]
    public async Task Retry_after_on_503_is_honoured()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var calls = 0;
        receiver.Respond = (context, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Response.StatusCode = 503;
                context.Response.Headers.RetryAfter = "1";
            }
            else context.Response.StatusCode = 200;
            return Task.CompletedTask;
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.Settings([50]), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/busy"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);

        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
        Assert.Equal(DeliveryStatus.Success, delivery.Status);
        var attempts = await Publish.AttemptsAsync(stack, published.DeliveryId);
        Assert.Equal([503, 200], attempts.Select(a => a.ResponseStatus ?? 0));
        Assert.Equal("1", attempts[0].ResponseHeaders!["Retry-After"]);
        var gap = attempts[1].StartedAt - attempts[0].StartedAt;
        Assert.InRange(gap, TimeSpan.FromMilliseconds(995), TimeSpan.FromSeconds(15)); // not the 50 ms schedule
    }

    [Fact]
    public async Task A_schedule_entry_earlier_than_postgres_says_waits_for_the_postgres_time()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services(),
            withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/a"), ["sale.created"]);
        var published = await Publish.EventAsync(stack, tenant, webhook);
        var dueAt = DateTimeOffset.UtcNow.AddMilliseconds(1500);
        await using (var db = stack.CreateDbContext())
        {
            await db.Deliveries.Where(d => d.Id == published.DeliveryId).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeliveryStatus.Retrying).SetProperty(d => d.NextAttemptAt, dueAt), Ct);
        }

        await stack.Queue.ScheduleAsync(await Publish.QueuedAsync(stack, published.DeliveryId), DateTimeOffset.UtcNow); // a stale, earlier score
        stack.StartDispatcher();

        await Publish.FinalAsync(stack, published.DeliveryId);
        var request = Assert.Single(receiver.Received);
        Assert.True(request.ReceivedAt >= dueAt.AddMilliseconds(-5), $"sent {(dueAt - request.ReceivedAt).TotalMilliseconds} ms early");
    }

    [Fact]
    public async Task Attempt_writes_are_fenced_by_attempt_number()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/never", ["sale.created"]);
        var published = await Publish.EventAsync(stack, tenant, webhook);
        var batch = AttemptBatchTests.Batch(stack);
        var work = new DeliveryWork(published.DeliveryId, tenant.TenantId, webhook.WebhookId, DeliveryStatus.Pending, 0, null,
            published.EventId, "sale.created", "{}", published.PublishedAt, null, "http://127.0.0.1:9/never", true, null, null, [], null, null);
        var now = DateTimeOffset.UtcNow;
        SendResult Result(int status) => new(status == 200 ? SendOutcome.Success : SendOutcome.HttpError, now, 5, [], status);
        var retrying = new DeliveryState(DeliveryStatus.Retrying, now.AddMinutes(1), null);
        var success = new DeliveryState(DeliveryStatus.Success, null, now);

        await using var db = stack.CreateDbContext();
        async Task<bool> StoredAsync(int number, SendResult result, DeliveryState state) =>
            (await batch.RecordAsync(db, [new AttemptToRecord(work, number, result, state)], Ct))[0].Stored;
        Assert.True(await StoredAsync(1, Result(500), retrying));
        // A late worker still holding attempt 1 (its lease expired and the delivery was claimed again) writes nothing.
        Assert.False(await StoredAsync(1, Result(200), success));
        Assert.False(await StoredAsync(3, Result(200), success));
        Assert.True(await StoredAsync(2, Result(200), success));
        Assert.False(await StoredAsync(3, Result(500), retrying)); // final stays final

        var delivery = await Publish.DeliveryAsync(stack, published.DeliveryId);
        Assert.Equal((DeliveryStatus.Success, 2), (delivery.Status, delivery.AttemptCount));
        Assert.Equal([500, 200], (await Publish.AttemptsAsync(stack, published.DeliveryId)).Select(a => a.ResponseStatus ?? 0));
        var health = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhook.WebhookId, Ct);
        Assert.Equal(0, health.ConsecutiveFailures); // the refused writes counted nothing either
        Assert.NotNull(health.LastFailureAt);
    }
}
