using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data.Entities;
using Webhooks.Dispatcher.Alerts;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Alerts;

public sealed class WebhookHealthTests(InfrastructureFixture infrastructure)
{
    private static readonly string[] FullStreak =
        ["webhook.failing@3", "webhook.failing@5", "webhook.failing@10", "webhook.disabled@10"];

    [Fact]
    public async Task Ten_failures_alert_creator_and_owner_at_3_5_and_10_then_disable_and_end_live_deliveries()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var member = await Seed.UserAsync(stack, tenant);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"], createdBy: member.UserId);
        var other = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"]);
        var now = DateTimeOffset.UtcNow;
        var pending = await SeedHistory.DeliveryAsync(stack, tenant, webhook.WebhookId, DeliveryStatus.Pending, now);
        var retrying = await SeedHistory.DeliveryAsync(stack, tenant, webhook.WebhookId, DeliveryStatus.Retrying, now, attempts: 2);
        var succeeded = await SeedHistory.DeliveryAsync(stack, tenant, webhook.WebhookId, DeliveryStatus.Success, now, attempts: 1);
        var othersPending = await SeedHistory.DeliveryAsync(stack, tenant, other.WebhookId, DeliveryStatus.Pending, now);

        for (var i = 1; i <= 10; i++)
        {
            var outcome = await Failures.RecordAsync(stack, webhook.WebhookId, 500, deliveryId: retrying);
            Assert.Equal(i, outcome.ConsecutiveFailures);
            Assert.Equal(i == 10, outcome.Disabled);
            Assert.Equal(i is 3 or 5 or 10 ? [i] : [], outcome.ThresholdsCrossed);
            Assert.Equal(i switch { 3 or 5 => 2, 10 => 4, _ => 0 }, outcome.NotificationsSent);
            if (i == 10) Assert.Equal(2, outcome.DeliveriesEnded);
            if (i == 2) Assert.Empty(await Failures.NotificationsAsync(stack, webhook.WebhookId));
        }

        var notifications = await Failures.NotificationsAsync(stack, webhook.WebhookId);
        Assert.Equal(8, notifications.Count);
        Assert.Equal(FullStreak, Failures.Summary(notifications, member.UserId));
        Assert.Equal(FullStreak, Failures.Summary(notifications, tenant.OwnerUserId));
        Assert.All(notifications, n => Assert.Equal(tenant.TenantId, n.TenantId));
        Assert.All(notifications, n => Assert.Null(n.ReadAt));

        var third = notifications.First(n => n.UserId == tenant.OwnerUserId && n.Kind == NotificationKinds.WebhookFailing);
        Assert.Equal($"Webhook {Failures.Url} has failed 3 times in a row (last: HTTP 500).", third.Message);
        var details = JsonDocument.Parse(third.Details).RootElement;
        Assert.Equal(3, details.GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal(500, details.GetProperty("lastStatusCode").GetInt32());
        Assert.Equal(JsonValueKind.Null, details.GetProperty("lastError").ValueKind);
        Assert.Equal(retrying, details.GetProperty("deliveryId").GetGuid());
        Assert.Equal(webhook.WebhookId, details.GetProperty("webhookId").GetGuid());
        Assert.Equal(Failures.Url, details.GetProperty("url").GetString());

        const string reason = "Disabled after 10 consecutive failures; last: HTTP 500";
        var disabled = notifications.First(n => n.UserId == member.UserId && n.Kind == NotificationKinds.WebhookDisabled);
        Assert.Equal($"Webhook {Failures.Url} was disabled after 10 consecutive failures (last: HTTP 500). Its queued deliveries " +
            "were stopped; fix the endpoint, then re-enable the webhook.", disabled.Message);
        Assert.Equal(reason, JsonDocument.Parse(disabled.Details).RootElement.GetProperty("reason").GetString());

        var row = await Failures.WebhookAsync(stack, webhook.WebhookId);
        Assert.False(row.Active);
        Assert.NotNull(row.DisabledAt);
        Assert.Equal(reason, row.DisabledReason);
        Assert.Equal(10, row.ConsecutiveFailures);
        Assert.NotNull(row.LastFailureAt);

        await using var db = stack.CreateDbContext();
        var deliveries = await db.Deliveries.AsNoTracking().ToDictionaryAsync(d => d.Id, ct);
        foreach (var ended in new[] { pending, retrying })
        {
            Assert.Equal(DeliveryStatus.Failed, deliveries[ended].Status);
            Assert.Null(deliveries[ended].NextAttemptAt);
            Assert.NotNull(deliveries[ended].CompletedAt);
            Assert.Equal(reason, deliveries[ended].LastError);
        }
        Assert.Equal(DeliveryStatus.Success, deliveries[succeeded].Status);
        Assert.Equal(DeliveryStatus.Pending, deliveries[othersPending].Status);
        Assert.True((await Failures.WebhookAsync(stack, other.WebhookId)).Active);
    }

    [Fact]
    public async Task When_the_creator_is_the_owner_each_alert_goes_out_once()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"]);

        for (var i = 1; i <= 10; i++) await Failures.RecordAsync(stack, webhook.WebhookId, statusCode: null, error: "Connection refused");

        var notifications = await Failures.NotificationsAsync(stack, webhook.WebhookId);
        Assert.Equal(FullStreak, Failures.Summary(notifications, tenant.OwnerUserId));
        Assert.Equal(4, notifications.Count);
        var details = JsonDocument.Parse(notifications.First().Details).RootElement;
        Assert.Equal(JsonValueKind.Null, details.GetProperty("lastStatusCode").ValueKind);
        Assert.Equal("Connection refused", details.GetProperty("lastError").GetString());
        Assert.Equal("Disabled after 10 consecutive failures; last: Connection refused",
            (await Failures.WebhookAsync(stack, webhook.WebhookId)).DisabledReason);
    }

    [Fact]
    public async Task Thresholds_and_the_disable_point_come_from_settings()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Webhooks:Alerts:Thresholds:0"] = "2",
            ["Webhooks:Alerts:DisableAfter"] = "4",
        }, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"]);

        var outcomes = new List<FailureOutcome>();
        for (var i = 1; i <= 4; i++) outcomes.Add(await Failures.RecordAsync(stack, webhook.WebhookId));

        Assert.Equal([false, false, false, true], outcomes.Select(o => o.Disabled));
        Assert.Equal(["webhook.failing@2", "webhook.disabled@4"],
            Failures.Summary(await Failures.NotificationsAsync(stack, webhook.WebhookId), tenant.OwnerUserId));
        Assert.Equal("Disabled after 4 consecutive failures; last: HTTP 500", (await Failures.WebhookAsync(stack, webhook.WebhookId)).DisabledReason);
    }

    [Fact]
    public async Task A_success_resets_the_count_and_the_next_streak_alerts_again()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"]);

        await Failures.RecordAsync(stack, webhook.WebhookId);
        await Failures.RecordAsync(stack, webhook.WebhookId);
        await Failures.RecordSuccessAsync(stack, webhook.WebhookId);
        var afterSuccess = await Failures.WebhookAsync(stack, webhook.WebhookId);
        Assert.Equal(0, afterSuccess.ConsecutiveFailures);
        Assert.NotNull(afterSuccess.LastSuccessAt);

        Assert.Equal(1, (await Failures.RecordAsync(stack, webhook.WebhookId)).ConsecutiveFailures);
        Assert.Equal(2, (await Failures.RecordAsync(stack, webhook.WebhookId)).ConsecutiveFailures);
        Assert.Empty(await Failures.NotificationsAsync(stack, webhook.WebhookId));
        Assert.Equal([3], (await Failures.RecordAsync(stack, webhook.WebhookId)).ThresholdsCrossed);

        await Failures.RecordSuccessAsync(stack, webhook.WebhookId);
        for (var i = 1; i <= 3; i++) await Failures.RecordAsync(stack, webhook.WebhookId, 503);

        var notifications = await Failures.NotificationsAsync(stack, webhook.WebhookId);
        Assert.Equal(["webhook.failing@3", "webhook.failing@3"], Failures.Summary(notifications, tenant.OwnerUserId));
        Assert.Equal(2, notifications.Select(n => n.DedupKey).Distinct().Count());
        Assert.True((await Failures.WebhookAsync(stack, webhook.WebhookId)).Active);
    }

    [Fact]
    public async Task After_a_re_enable_thresholds_alert_and_disable_again()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var member = await Seed.UserAsync(stack, tenant);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"], createdBy: member.UserId);

        for (var i = 1; i <= 10; i++) await Failures.RecordAsync(stack, webhook.WebhookId);
        // Attempts already in flight when it was disabled still fail; they count but alert no one.
        var late = await Failures.RecordAsync(stack, webhook.WebhookId);
        Assert.Equal(new FailureOutcome(11, false), late);

        await Failures.ReEnableAsync(stack, webhook.WebhookId);
        var outcomes = new List<FailureOutcome>();
        for (var i = 1; i <= 10; i++) outcomes.Add(await Failures.RecordAsync(stack, webhook.WebhookId));

        Assert.Equal(Enumerable.Range(1, 10), outcomes.Select(o => o.ConsecutiveFailures));
        Assert.Equal([false, false, false, false, false, false, false, false, false, true], outcomes.Select(o => o.Disabled));
        var notifications = await Failures.NotificationsAsync(stack, webhook.WebhookId);
        Assert.Equal([.. FullStreak, .. FullStreak], Failures.Summary(notifications, member.UserId));
        Assert.Equal([.. FullStreak, .. FullStreak], Failures.Summary(notifications, tenant.OwnerUserId));
        Assert.False((await Failures.WebhookAsync(stack, webhook.WebhookId)).Active);
    }

    [Fact]
    public async Task A_410_Gone_disables_at_once()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"]);
        var pending = await SeedHistory.DeliveryAsync(stack, tenant, webhook.WebhookId, DeliveryStatus.Pending, DateTimeOffset.UtcNow);

        var outcome = await Failures.RecordAsync(stack, webhook.WebhookId, 410);

        Assert.Equal(new FailureOutcome(1, true), outcome with { ThresholdsCrossed = [], NotificationsSent = 0, DeliveriesEnded = 0 });
        Assert.Empty(outcome.ThresholdsCrossed);
        Assert.Equal(1, outcome.DeliveriesEnded);
        var row = await Failures.WebhookAsync(stack, webhook.WebhookId);
        Assert.False(row.Active);
        Assert.Equal("Disabled because the endpoint answered HTTP 410 Gone", row.DisabledReason);
        var notification = Assert.Single(await Failures.NotificationsAsync(stack, webhook.WebhookId));
        Assert.Equal(NotificationKinds.WebhookDisabled, notification.Kind);
        Assert.StartsWith($"Webhook {Failures.Url} was disabled because the endpoint answered HTTP 410 Gone.", notification.Message);
        Assert.Equal(tenant.OwnerUserId, notification.UserId);

        Assert.False((await Failures.RecordAsync(stack, webhook.WebhookId, 410)).Disabled);
        Assert.Single(await Failures.NotificationsAsync(stack, webhook.WebhookId));
        await using var db = stack.CreateDbContext();
        Assert.Equal(DeliveryStatus.Failed, (await db.Deliveries.SingleAsync(d => d.Id == pending, TestContext.Current.CancellationToken)).Status);
    }
}
