using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Webhooks.Dispatcher.Alerts;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Options;
using Webhooks.Dispatcher;
using Webhooks.Dispatcher.Claiming;
using Webhooks.Dispatcher.Recording;
using Webhooks.Dispatcher.Retrying;
using Webhooks.Dispatcher.Sending;
using Webhooks.Dispatcher.Telemetry;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

/// <summary>Attempts are recorded many per transaction (group commit): each one still fenced, counted and isolated.</summary>
public sealed class AttemptBatchTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static AttemptBatch Batch(TestStack stack) => new(Alerts.Failures.Health(stack), TimeProvider.System);

    internal static DeliveryWork Work(Guid deliveryId, SeededTenant tenant, SeededWebhook webhook, Guid eventId) =>
        new(deliveryId, tenant.TenantId, webhook.WebhookId, DeliveryStatus.Pending, 0, null, eventId, "sale.created", "{}",
            DateTimeOffset.UtcNow, null, "http://127.0.0.1:9/hook", true, null, null, [], null, null);

    private static SendResult Result(int status, Dictionary<string, string>? responseHeaders = null) =>
        new(status == 200 ? SendOutcome.Success : SendOutcome.HttpError, DateTimeOffset.UtcNow, 5, new() { ["webhook-id"] = "x" },
            status, responseHeaders ?? new() { ["content-type"] = "text/plain" }, status == 200 ? "ok" : "nope");

    private static readonly DeliveryState Success = new(DeliveryStatus.Success, null, DateTimeOffset.UtcNow);
    private static DeliveryState Retrying => new(DeliveryStatus.Retrying, DateTimeOffset.UtcNow.AddMinutes(1), null);

    [Fact]
    public async Task One_batch_stores_each_attempt_fences_each_on_its_own_and_counts_failures()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var healthy = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/healthy", ["sale.created"]);
        var failing = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/failing", ["sale.updated"]);
        var ok = await Publish.EventAsync(stack, tenant, healthy);
        var late = await Publish.EventAsync(stack, tenant, healthy);
        var failed1 = await Publish.EventAsync(stack, tenant, failing, "sale.updated");
        var failed2 = await Publish.EventAsync(stack, tenant, failing, "sale.updated");

        await using var db = stack.CreateDbContext();
        var records = await Batch(stack).RecordAsync(db,
        [
            new AttemptToRecord(Work(ok.DeliveryId, tenant, healthy, ok.EventId), 1, Result(200), Success),
            // Attempt 2 of a delivery that has had none: a late worker's write, refused by the fence.
            new AttemptToRecord(Work(late.DeliveryId, tenant, healthy, late.EventId), 2, Result(200), Success),
            new AttemptToRecord(Work(failed1.DeliveryId, tenant, failing, failed1.EventId), 1, Result(500), Retrying),
            new AttemptToRecord(Work(failed2.DeliveryId, tenant, failing, failed2.EventId), 1, Result(503), Retrying),
        ], Ct);

        Assert.Equal([true, false, true, true], records.Select(r => r.Stored));
        Assert.Null(records[0].Failure);
        // Two failures of one webhook in one transaction are two consecutive failures, counted in turn.
        Assert.Equal([1, 2], records[2..].Select(r => r.Failure!.ConsecutiveFailures).Order());

        var okDelivery = await Publish.DeliveryAsync(stack, ok.DeliveryId);
        Assert.Equal((DeliveryStatus.Success, 1), (okDelivery.Status, okDelivery.AttemptCount));
        var okAttempt = Assert.Single(await Publish.AttemptsAsync(stack, ok.DeliveryId));
        Assert.Equal((200, "ok", "x", "text/plain"),
            (okAttempt.ResponseStatus, okAttempt.ResponseBody, okAttempt.RequestHeaders["webhook-id"], okAttempt.ResponseHeaders!["content-type"]));
        var lateDelivery = await Publish.DeliveryAsync(stack, late.DeliveryId);
        Assert.Equal((DeliveryStatus.Pending, 0), (lateDelivery.Status, lateDelivery.AttemptCount));
        Assert.Empty(await Publish.AttemptsAsync(stack, late.DeliveryId));
        foreach (var id in new[] { failed1.DeliveryId, failed2.DeliveryId })
        {
            var delivery = await Publish.DeliveryAsync(stack, id);
            Assert.Equal((DeliveryStatus.Retrying, 1), (delivery.Status, delivery.AttemptCount));
            Assert.NotNull(delivery.NextAttemptAt);
        }
        var webhooks = await db.Webhooks.AsNoTracking().Where(w => w.Id == healthy.WebhookId || w.Id == failing.WebhookId)
            .ToDictionaryAsync(w => w.Id, Ct);
        Assert.NotNull(webhooks[healthy.WebhookId].LastSuccessAt);
        Assert.Equal(2, webhooks[failing.WebhookId].ConsecutiveFailures);
    }

    [Fact]
    public async Task A_batch_of_successes_is_fenced_per_attempt_and_resets_only_the_webhooks_whose_attempts_were_stored()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var recovered = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/recovered", ["sale.created"]);
        var overtaken = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/overtaken", ["sale.updated"]);
        var first = await Publish.EventAsync(stack, tenant, recovered);
        var second = await Publish.EventAsync(stack, tenant, recovered);
        var stale = await Publish.EventAsync(stack, tenant, overtaken, "sale.updated");
        await using var db = stack.CreateDbContext();
        await db.Webhooks.Where(w => w.Id == recovered.WebhookId || w.Id == overtaken.WebhookId)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.ConsecutiveFailures, 4), Ct);

        var records = await Batch(stack).RecordAsync(db,
        [
            new AttemptToRecord(Work(first.DeliveryId, tenant, recovered, first.EventId), 1, Result(200), Success),
            new AttemptToRecord(Work(second.DeliveryId, tenant, recovered, second.EventId), 1, Result(200), Success),
            // A late worker's attempt 2 of a delivery that has had none: refused, so it must not vouch for its webhook.
            new AttemptToRecord(Work(stale.DeliveryId, tenant, overtaken, stale.EventId), 2, Result(200), Success),
        ], Ct);

        Assert.Equal([true, true, false], records.Select(r => r.Stored));
        Assert.All(records, r => Assert.Null(r.Failure));
        foreach (var id in new[] { first.DeliveryId, second.DeliveryId })
        {
            var delivery = await Publish.DeliveryAsync(stack, id);
            Assert.Equal((DeliveryStatus.Success, 1), (delivery.Status, delivery.AttemptCount));
            Assert.Single(await Publish.AttemptsAsync(stack, id));
        }
        var staleDelivery = await Publish.DeliveryAsync(stack, stale.DeliveryId);
        Assert.Equal((DeliveryStatus.Pending, 0), (staleDelivery.Status, staleDelivery.AttemptCount));
        Assert.Empty(await Publish.AttemptsAsync(stack, stale.DeliveryId));
        var webhooks = await db.Webhooks.AsNoTracking().Where(w => w.Id == recovered.WebhookId || w.Id == overtaken.WebhookId)
            .ToDictionaryAsync(w => w.Id, Ct);
        Assert.Equal(0, webhooks[recovered.WebhookId].ConsecutiveFailures);
        Assert.NotNull(webhooks[recovered.WebhookId].LastSuccessAt);
        Assert.Equal(4, webhooks[overtaken.WebhookId].ConsecutiveFailures);
        Assert.Null(webhooks[overtaken.WebhookId].LastSuccessAt);
    }

    [Fact]
    public async Task An_attempt_postgres_refuses_fails_alone_and_its_batch_neighbours_are_recorded()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/hook", ["sale.created"]);
        var events = new List<PublishedEvent>();
        for (var i = 0; i < 3; i++) events.Add(await Publish.EventAsync(stack, tenant, webhook));
        var writer = new AttemptRecorder(stack.ApiServices.GetRequiredService<IServiceScopeFactory>(), Batch(stack),
            NullLogger<AttemptRecorder>.Instance);

        // Queued before the writer runs, so all three go into its first batch. jsonb cannot hold \u0000: Postgres
        // refuses the middle attempt's response headers, and with them the whole statement.
        var recorded = events.Select((e, i) => writer.RecordAsync(new AttemptToRecord(Work(e.DeliveryId, tenant, webhook, e.EventId), 1,
            Result(200, i == 1 ? new() { ["x-bad"] = "a\0b" } : null), Success))).ToList();
        await writer.StartAsync(Ct);
        try
        {
            Assert.True((await recorded[0]).Stored);
            await Assert.ThrowsAsync<AttemptNotRecordedException>(() => recorded[1]);
            Assert.True((await recorded[2]).Stored);
        }
        finally
        {
            await writer.StopAsync(Ct);
        }

        Assert.Single(await Publish.AttemptsAsync(stack, events[0].DeliveryId));
        Assert.Empty(await Publish.AttemptsAsync(stack, events[1].DeliveryId));
        Assert.Equal(DeliveryStatus.Pending, (await Publish.DeliveryAsync(stack, events[1].DeliveryId)).Status);
        Assert.Single(await Publish.AttemptsAsync(stack, events[2].DeliveryId));
    }

    [Fact]
    public async Task Attempts_queued_while_the_writer_stops_are_still_written()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, "http://127.0.0.1:9/hook", ["sale.created"]);
        var events = new List<PublishedEvent>();
        for (var i = 0; i < 20; i++) events.Add(await Publish.EventAsync(stack, tenant, webhook));
        var writer = new AttemptRecorder(stack.ApiServices.GetRequiredService<IServiceScopeFactory>(), Batch(stack),
            NullLogger<AttemptRecorder>.Instance);
        await writer.StartAsync(Ct);

        var recorded = events.Select(e => writer.RecordAsync(
            new AttemptToRecord(Work(e.DeliveryId, tenant, webhook, e.EventId), 1, Result(200), Success))).ToList();
        await writer.StopAsync(Ct);

        Assert.All(await Task.WhenAll(recorded), r => Assert.True(r.Stored));
        await using var db = stack.CreateDbContext();
        var ids = events.Select(e => e.DeliveryId).ToArray();
        Assert.Equal(20, await db.DeliveryAttempts.CountAsync(a => ids.Contains(a.DeliveryId), Ct));
        // After the stop, nothing is accepted: the caller hears so instead of waiting forever.
        await Assert.ThrowsAsync<AttemptNotRecordedException>(() =>
            writer.RecordAsync(new AttemptToRecord(Work(events[0].DeliveryId, tenant, webhook, events[0].EventId), 2, Result(200), Success)));
    }
}
