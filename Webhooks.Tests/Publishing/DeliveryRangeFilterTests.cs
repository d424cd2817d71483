using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Publishing.PublishingTestData;

namespace Webhooks.Tests.Publishing;

/// <summary>The deliveries filters the portal's Deliveries page adds to webhook and status: event type and time range.</summary>
public sealed class DeliveryRangeFilterTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task Deliveries_filter_by_event_type_and_by_a_time_range()
    {
        var tenant = await Seed.TenantAsync(_stack);
        await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created", "sale.refunded"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var sale = await PublishAsync(client, "sale.created", new { });
        var refund = await PublishAsync(client, "sale.refunded", new { });
        var old = Guid.Parse((string)(await PublishAsync(client, "sale.created", new { }))["deliveries"]![0]!["id"]!);
        var lastWeek = DateTimeOffset.UtcNow.AddDays(-7);
        await SetStateAsync(_stack, old, Core.Data.Entities.DeliveryStatus.Failed, 1, createdAt: lastWeek);

        async Task<List<string?>> EventIds(string query) =>
            (await client.GetFromJsonAsync<JsonObject>($"/v1/deliveries{query}", Ct))!.Items().Select(d => (string?)d["eventId"]).ToList();
        string At(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O"));

        Assert.Equal([(string?)refund["id"]], await EventIds("?eventType=sale.refunded"));
        Assert.Equal(2, (await EventIds("?eventType=sale.created")).Count);
        Assert.Empty(await EventIds("?eventType=inventory.created"));
        Assert.Equal([(string?)refund["id"], (string?)sale["id"]], await EventIds($"?since={At(lastWeek.AddDays(1))}"));
        Assert.Single(await EventIds($"?until={At(lastWeek.AddDays(1))}"));
        Assert.Single(await EventIds($"?eventType=sale.created&since={At(lastWeek.AddMinutes(-1))}&until={At(lastWeek.AddMinutes(1))}"));

        var backwards = await client.GetAsync($"/v1/deliveries?since={At(lastWeek)}&until={At(lastWeek.AddDays(-1))}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Contains("until", await backwards.Content.ReadAsStringAsync(Ct));
    }
}
