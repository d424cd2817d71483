using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Webhooks.Api;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Telemetry;

public sealed class ApiMetricsTests(InfrastructureFixture infrastructure)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Publishing_counts_events_and_deliveries_by_type_and_times_each_request()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var meters = stack.ApiServices.GetRequiredService<IMeterFactory>();
        using var published = new MetricCollector<long>(meters, ApiTelemetry.Name, "webhooks.events.published");
        using var deliveries = new MetricCollector<long>(meters, ApiTelemetry.Name, "webhooks.deliveries.created");
        using var duration = new MetricCollector<double>(meters, ApiTelemetry.Name, "webhooks.publish.duration");
        var tenant = await Seed.TenantAsync(stack);
        await Seed.WebhookAsync(stack, tenant, "https://a.example/hook", ["sale.created"]);
        await Seed.WebhookAsync(stack, tenant, "https://b.example/hook", ["sale.created"]);
        using var client = stack.CreateClient(tenant.OwnerApiKey);

        (await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct)).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/v1/events/batch", new
        {
            events = new object[] { new { type = "sale.created", data = new { } }, new { type = "customer.created", data = new { } } },
        }, Ct)).EnsureSuccessStatusCode();
        // A rejected request is not an event.
        await client.PostAsJsonAsync("/v1/events", new { type = "nope", data = new { } }, Ct);

        var byType = published.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags["event_type"]!).ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        Assert.Equal(new Dictionary<string, long> { ["sale.created"] = 2, ["customer.created"] = 1 }, byType);
        Assert.Equal(4, deliveries.GetMeasurementSnapshot().Sum(m => m.Value)); // 2 webhooks × 2 sale.created
        var timings = duration.GetMeasurementSnapshot();
        Assert.Equal([false, true], timings.Select(m => (bool)m.Tags["batch"]!));
        Assert.All(timings, m => Assert.True(m.Value > 0));
    }
}
