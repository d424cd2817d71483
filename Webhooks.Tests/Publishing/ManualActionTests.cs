using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;
using Webhooks.Tests.Delivery;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Publishing.PublishingTestData;

namespace Webhooks.Tests.Publishing;

/// <summary>Retry, ping and recover put rows due in Postgres and in the Redis schedule; sending them is the Dispatcher's.</summary>
public sealed class ManualActionTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();


    [Fact]
    public async Task Retry_makes_a_failed_delivery_due_now_without_resetting_its_attempts()
    {
        var tenant = await Seed.TenantAsync(_stack);
        await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var id = Guid.Parse((string)(await PublishAsync(client, "sale.created", new { }))["deliveries"]![0]!["id"]!);
        await SetStateAsync(_stack, id, DeliveryStatus.Failed, 6);
        await _stack.PublishesScheduledAsync();
        await _stack.Redis.KeyDeleteAsync(_stack.Queue.Keys.Due);

        var before = DateTimeOffset.UtcNow;
        var response = await client.PostAsync($"/v1/deliveries/{id}/retry", null, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("retrying", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["status"]);
        await using var db = _stack.CreateDbContext();
        var row = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == id, Ct);
        Assert.Equal((DeliveryStatus.Retrying, 6, (DateTimeOffset?)null), (row.Status, row.AttemptCount, row.CompletedAt));
        Assert.InRange(row.NextAttemptAt!.Value, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.True(await Publish.IsScheduledAsync(_stack, id));
    }

    [Fact]
    public async Task Retry_refuses_a_disabled_webhook_and_hides_other_tenants()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var hook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var id = Guid.Parse((string)(await PublishAsync(client, "sale.created", new { }))["deliveries"]![0]!["id"]!);

        var other = await Seed.TenantAsync(_stack, "Other");
        using var otherClient = _stack.CreateClient(other.OwnerApiKey);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.PostAsync($"/v1/deliveries/{id}/retry", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/v1/deliveries/{Guid.NewGuid()}/retry", null, Ct)).StatusCode);

        await using (var db = _stack.CreateDbContext())
            await db.Webhooks.Where(w => w.Id == hook.WebhookId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Active, false), Ct);
        var conflict = await client.PostAsync($"/v1/deliveries/{id}/retry", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Ping_creates_a_webhook_ping_delivery_for_that_webhook_only()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var hook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        await Seed.WebhookAsync(_stack, tenant, "https://b.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        var response = await client.PostAsync($"/v1/webhooks/{hook.WebhookId}/ping", null, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var deliveryId = Guid.Parse((string)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["deliveryId"]!);
        await using var db = _stack.CreateDbContext();
        var delivery = await db.Deliveries.Include(d => d.Event).SingleAsync(d => d.Id == deliveryId, Ct);
        Assert.Equal((hook.WebhookId, DeliveryStatus.Pending, EventCatalog.Ping), (delivery.WebhookId, delivery.Status, delivery.Event!.Type));
        Assert.Equal(1, await db.Deliveries.CountAsync(d => d.EventId == delivery.EventId, Ct));
        Assert.True(await Publish.IsScheduledAsync(_stack, deliveryId));

        var other = await Seed.TenantAsync(_stack, "Other");
        using var otherClient = _stack.CreateClient(other.OwnerApiKey);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.PostAsync($"/v1/webhooks/{hook.WebhookId}/ping", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Recover_requeues_the_failed_deliveries_in_the_window_only()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var hook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++) ids.Add(Guid.Parse((string)(await PublishAsync(client, "sale.created", new { i }))["deliveries"]![0]!["id"]!));
        var now = DateTimeOffset.UtcNow;
        await SetStateAsync(_stack, ids[0], DeliveryStatus.Failed, 6, createdAt: now.AddDays(-3)); // before the window
        await SetStateAsync(_stack, ids[1], DeliveryStatus.Failed, 6, createdAt: now.AddHours(-2));
        await SetStateAsync(_stack, ids[2], DeliveryStatus.Failed, 6, createdAt: now.AddHours(-1));
        await SetStateAsync(_stack, ids[3], DeliveryStatus.Success, 1, createdAt: now.AddHours(-1)); // not failed
        await _stack.PublishesScheduledAsync();
        await _stack.Redis.KeyDeleteAsync(_stack.Queue.Keys.Due);

        var response = await client.PostAsJsonAsync($"/v1/webhooks/{hook.WebhookId}/recover", new { since = now.AddDays(-1) }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["requeued"]!.GetValue<int>());
        await using var db = _stack.CreateDbContext();
        var statuses = await db.Deliveries.Where(d => ids.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Status, Ct);
        Assert.Equal([DeliveryStatus.Failed, DeliveryStatus.Retrying, DeliveryStatus.Retrying, DeliveryStatus.Success], ids.Select(id => statuses[id]));
        Assert.False(await Publish.IsScheduledAsync(_stack, ids[0]));
        Assert.True(await Publish.IsScheduledAsync(_stack, ids[1]));
        Assert.True(await Publish.IsScheduledAsync(_stack, ids[2]));

        var missingSince = await client.PostAsJsonAsync($"/v1/webhooks/{hook.WebhookId}/recover", new { }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, missingSince.StatusCode);
        Assert.Contains("since", await missingSince.Content.ReadAsStringAsync(Ct));
        var backwards = await client.PostAsJsonAsync($"/v1/webhooks/{hook.WebhookId}/recover", new { since = now, until = now.AddDays(-1) }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Contains("until", await backwards.Content.ReadAsStringAsync(Ct));
    }
}
