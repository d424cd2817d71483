using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Alerts;

public sealed class ConcurrentFailureTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Twenty_failures_at_once_alert_once_per_threshold_and_recipient()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var member = await Seed.UserAsync(stack, tenant);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"], createdBy: member.UserId);

        // Each failure in its own DbContext and transaction, as concurrent deliveries of one webhook are recorded.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => Failures.RecordAsync(stack, webhook.WebhookId))));

        Assert.Equal(Enumerable.Range(1, 20), outcomes.Select(o => o.ConsecutiveFailures).Order());
        Assert.Single(outcomes, o => o.Disabled);
        Assert.Equal([3, 5, 10], outcomes.SelectMany(o => o.ThresholdsCrossed).Order());
        Assert.Equal(8, outcomes.Sum(o => o.NotificationsSent));
        var notifications = await Failures.NotificationsAsync(stack, webhook.WebhookId);
        string[] expected = ["webhook.failing@3", "webhook.failing@5", "webhook.failing@10", "webhook.disabled@10"];
        Assert.Equal(expected.Order(), Failures.Summary(notifications, member.UserId).Order());
        Assert.Equal(expected.Order(), Failures.Summary(notifications, tenant.OwnerUserId).Order());
        Assert.Equal(20, (await Failures.WebhookAsync(stack, webhook.WebhookId)).ConsecutiveFailures);
    }
}
