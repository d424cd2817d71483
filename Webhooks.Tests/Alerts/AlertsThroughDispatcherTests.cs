using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Webhooks.Dispatcher;
using Webhooks.Core.Data.Entities;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Alerts;

/// <summary>Alerts and auto-disable as a tenant sees them: real failing receiver, real Dispatcher, the HTTP API.</summary>
public sealed class AlertsThroughDispatcherTests(InfrastructureFixture infrastructure)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ten_failures_notify_at_3_5_and_10_then_disable_and_nothing_more_is_sent_until_re_enabled()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = (context, _) =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        // No retries (one attempt per delivery), so each event is exactly one failure and the count is easy to follow.
        await using var stack = await TestStack.StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Webhooks:Delivery:RetrySchedule:0"] = "00:00:00.010",
            ["Webhooks:Reconciler:Interval"] = "00:00:00.500",
        });
        var meters = stack.DispatcherServices.GetRequiredService<IMeterFactory>();
        using var alerts = new MetricCollector<long>(meters, DispatcherTelemetry.Name, "webhooks.alerts");
        using var disabled = new MetricCollector<long>(meters, DispatcherTelemetry.Name, "webhooks.webhooks.disabled");
        using var failureRate = new MetricCollector<double>(meters, DispatcherTelemetry.Name, "webhooks.delivery.failure_rate");
        var tenant = await Seed.TenantAsync(stack);
        var member = await Seed.UserAsync(stack, tenant);
        using var memberClient = stack.CreateClient(member.ApiKey);
        var created = await (await memberClient.PostAsJsonAsync("/v1/webhooks", new { url = receiver.Url("/down"), events = new[] { "sale.created" } }, Ct))
            .Content.ReadFromJsonAsync<JsonObject>(Ct);
        var webhookId = Guid.Parse((string)created!["id"]!);

        // Publish one at a time so the failures arrive in order: 5 events × 2 attempts = 10 failures.
        for (var i = 0; i < 5; i++)
        {
            var published = await (await memberClient.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { i } }, Ct))
                .Content.ReadFromJsonAsync<JsonObject>(Ct);
            var deliveryId = (string)published!["deliveries"]![0]!["id"]!;
            await Eventually.True(async () => (string?)(await memberClient.GetFromJsonAsync<JsonObject>($"/v1/deliveries/{deliveryId}", Ct))!["status"] == "failed",
                $"delivery {i} to fail");
        }

        var webhook = await memberClient.GetFromJsonAsync<JsonObject>($"/v1/webhooks/{webhookId}", Ct);
        Assert.False((bool)webhook!["active"]!);
        Assert.Equal(10, (int)webhook["consecutiveFailures"]!);
        Assert.Contains("10 consecutive failures", (string?)webhook["disabledReason"]);

        // The creator (a member) and the owner each get failing at 3, 5, 10 and one disabled.
        foreach (var key in new[] { member.ApiKey, tenant.OwnerApiKey })
        {
            using var client = stack.CreateClient(key);
            var items = (await client.GetFromJsonAsync<JsonObject>("/v1/notifications", Ct))!["items"]!.AsArray();
            var failing = items.Where(n => (string?)n!["kind"] == "webhook.failing").Select(n => (int)n!["details"]!["consecutiveFailures"]!).Order();
            Assert.Equal([3, 5, 10], failing);
            Assert.Single(items, n => (string?)n!["kind"] == "webhook.disabled");
            Assert.All(items, n => Assert.Equal(webhookId.ToString(), (string?)n!["webhookId"]));
        }

        // Operators see the same in the Dispatcher's instruments.
        Assert.Equal([3, 5, 10], alerts.GetMeasurementSnapshot().Select(m => Convert.ToInt32(m.Tags["threshold"])).Order());
        Assert.Equal(1, disabled.GetMeasurementSnapshot().Sum(m => m.Value));
        failureRate.RecordObservableInstruments();
        Assert.Equal(1.0, failureRate.LastMeasurement!.Value);

        // Disabled: new events create no deliveries for it, and the receiver hears nothing more.
        var sentBefore = receiver.ReceivedAt("/down").Count;
        Assert.Equal(10, sentBefore);
        var ignored = await (await memberClient.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct))
            .Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Empty(ignored!["deliveries"]!.AsArray());

        // Re-enabling resets the count, and deliveries flow again.
        receiver.Respond = (context, _) =>
        {
            context.Response.StatusCode = 204;
            return Task.CompletedTask;
        };
        var patched = await memberClient.PatchAsJsonAsync($"/v1/webhooks/{webhookId}", new { active = true }, Ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(0, (int)(await patched.Content.ReadFromJsonAsync<JsonObject>(Ct))!["consecutiveFailures"]!);
        await memberClient.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct);
        await Eventually.True(() => Task.FromResult(receiver.ReceivedAt("/down").Count == sentBefore + 1), "a delivery after re-enabling");
        await using var db = stack.CreateDbContext();
        await Eventually.True(async () => await db.Deliveries.AnyAsync(d => d.WebhookId == webhookId && d.Status == DeliveryStatus.Success, Ct),
            "the delivery after re-enabling to succeed");
    }
}
