using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;
using Webhooks.Tests.Delivery;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Publishing;

public sealed class PublishTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        // No Dispatcher: these tests look at what publishing writes, before anything is sent.
        _stack = await TestStack.StartAsync(infrastructure, new Dictionary<string, string?> { ["Webhooks:Events:MaxPayloadBytes"] = "2048" },
            withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task An_event_gets_one_pending_delivery_per_active_subscribed_webhook_of_the_tenant_and_is_scheduled()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var a = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        var b = await Seed.WebhookAsync(_stack, tenant, "https://b.example/hook", ["sale.created", "sale.updated"]);
        await Seed.WebhookAsync(_stack, tenant, "https://c.example/hook", ["sale.updated"]);
        await Seed.WebhookAsync(_stack, tenant, "https://d.example/hook", ["sale.created"], active: false);
        var other = await Seed.TenantAsync(_stack, "Other");
        await Seed.WebhookAsync(_stack, other, "https://e.example/hook", ["sale.created"]);

        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var response = await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { saleId = 42, total = 9.5 } }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Equal("sale.created", (string?)body["type"]);
        var deliveries = body["deliveries"]!.AsArray();
        Assert.Equal(new[] { a.WebhookId, b.WebhookId }.Order(), deliveries.Select(d => Guid.Parse((string)d!["webhookId"]!)).Order());
        Assert.All(deliveries, d => Assert.Equal("pending", (string?)d!["status"]));

        await using var db = _stack.CreateDbContext();
        var eventId = Guid.Parse((string)body["id"]!);
        var stored = await db.Events.SingleAsync(e => e.Id == eventId, Ct);
        Assert.Equal(42, JsonNode.Parse(stored.Payload)!["saleId"]!.GetValue<int>());
        var rows = await db.Deliveries.Where(d => d.EventId == eventId).ToListAsync(Ct);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, d => Assert.Equal((DeliveryStatus.Pending, 0), (d.Status, d.AttemptCount)));
                await _stack.PublishesScheduledAsync(); // (a publish answers at its commit; the schedule follows)
        foreach (var row in rows) Assert.True(await Publish.IsScheduledAsync(_stack, row.Id));
    }

    [Fact]
    public async Task An_event_nobody_subscribes_to_is_accepted_with_no_deliveries()
    {
        var tenant = await Seed.TenantAsync(_stack);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var response = await client.PostAsJsonAsync("/v1/events", new { type = "customer.created", data = new { id = 1 } }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["deliveries"]!.AsArray());
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_event_and_creates_nothing_even_when_concurrent()
    {
        var tenant = await Seed.TenantAsync(_stack);
        await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        async Task<JsonObject> Publish()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
            {
                Content = JsonContent.Create(new { type = "sale.created", data = new { saleId = 7 } }),
            };
            request.Headers.Add("Idempotency-Key", "order-7");
            var response = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Publish()));
        Assert.Single(results.Select(r => (string?)r["id"]).Distinct());
        Assert.Single(results.Select(r => (string?)r["deliveries"]![0]!["id"]).Distinct());

        await using var db = _stack.CreateDbContext();
        Assert.Equal(1, await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));
        Assert.Equal(1, await db.Deliveries.CountAsync(d => d.TenantId == tenant.TenantId, Ct));

        // The key is per tenant: another tenant may use it for its own event.
        var other = await Seed.TenantAsync(_stack, "Other");
        using var otherClient = _stack.CreateClient(other.OwnerApiKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = JsonContent.Create(new { type = "sale.created", data = new { } }) };
        request.Headers.Add("Idempotency-Key", "order-7");
        var otherEvent = await (await otherClient.SendAsync(request, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.NotEqual((string?)results[0]["id"], (string?)otherEvent!["id"]);
    }

    [Fact]
    public async Task A_batch_publishes_every_event_in_order_and_honours_idempotency_keys_across_and_within_batches()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var hook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["inventory.low_stock", "sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var first = await client.PostAsJsonAsync("/v1/events/batch", new
        {
            events = new object[]
            {
                new { type = "inventory.low_stock", data = new { sku = "A" }, idempotencyKey = "k1" },
                new { type = "sale.created", data = new { id = 1 } },
                new { type = "inventory.low_stock", data = new { sku = "A" }, idempotencyKey = "k1" },
            },
        }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var items = (await first.Content.ReadFromJsonAsync<JsonObject>(Ct))!["items"]!.AsArray();
        Assert.Equal(["inventory.low_stock", "sale.created", "inventory.low_stock"], items.Select(i => (string)i!["type"]!));
        Assert.Equal((string?)items[0]!["id"], (string?)items[2]!["id"]);
        Assert.All(items, i => Assert.Equal(hook.WebhookId.ToString(), (string?)i!["deliveries"]![0]!["webhookId"]));

        var again = await client.PostAsJsonAsync("/v1/events/batch", new
        {
            events = new object[] { new { type = "inventory.low_stock", data = new { sku = "A" }, idempotencyKey = "k1" } },
        }, Ct);
        var repeated = (await again.Content.ReadFromJsonAsync<JsonObject>(Ct))!["items"]![0]!;
        Assert.Equal((string?)items[0]!["id"], (string?)repeated["id"]);

        await using var db = _stack.CreateDbContext();
        Assert.Equal(2, await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));
        Assert.Equal(2, await db.Deliveries.CountAsync(d => d.TenantId == tenant.TenantId, Ct));
    }

    [Theory]
    [InlineData("""{"type":"sale.exploded","data":{}}""", "type")]
    [InlineData("""{"type":"webhook.ping","data":{}}""", "type")]
    [InlineData("""{"data":{}}""", "type")]
    [InlineData("""{"type":"sale.created","data":[1,2]}""", "data")]
    [InlineData("""{"type":"sale.created"}""", "data")]
    [InlineData("""{"type":"sale.created","data":"text"}""", "data")]
    [InlineData("""{"type":42,"data":{}}""", "type")]
    public async Task Bad_events_get_400_problem_json_naming_the_field_and_write_nothing(string json, string field)
    {
        var tenant = await Seed.TenantAsync(_stack);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var response = await client.PostAsync("/v1/events", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);
        await using var db = _stack.CreateDbContext();
        Assert.Equal(0, await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task Payloads_over_the_limit_get_413_and_write_nothing()
    {
        var tenant = await Seed.TenantAsync(_stack);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var big = new string('x', 3000); // MaxPayloadBytes is 2048 in this stack

        var single = await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { big } }, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, single.StatusCode);
        Assert.Equal("application/problem+json", single.Content.Headers.ContentType?.MediaType);
        Assert.Contains("data", await single.Content.ReadAsStringAsync(Ct));

        var batch = await client.PostAsJsonAsync("/v1/events/batch",
            new { events = new object[] { new { type = "sale.created", data = new { } }, new { type = "sale.created", data = new { big } } } }, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, batch.StatusCode);
        Assert.Contains("events[1].data", await batch.Content.ReadAsStringAsync(Ct));

        // A declared body far over the route's cap is refused before it is read.
        var huge = new ByteArrayContent(new byte[200_000]);
        huge.Headers.ContentType = new("application/json");
        var refused = await client.PostAsync("/v1/events", huge, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        await using var db = _stack.CreateDbContext();
        Assert.Equal(0, await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task Batches_must_hold_1_to_1000_valid_events()
    {
        var tenant = await Seed.TenantAsync(_stack);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        var empty = await client.PostAsJsonAsync("/v1/events/batch", new { events = Array.Empty<object>() }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("events", await empty.Content.ReadAsStringAsync(Ct));

        var tooMany = await client.PostAsJsonAsync("/v1/events/batch",
            new { events = Enumerable.Range(0, 1001).Select(i => new { type = "sale.created", data = new { i } }) }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);

        var badItem = await client.PostAsJsonAsync("/v1/events/batch",
            new { events = new object[] { new { type = "sale.created", data = new { } }, new { type = "nope", data = new { } } } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badItem.StatusCode);
        Assert.Contains("events[1].type", await badItem.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);

        await using var db = _stack.CreateDbContext();
        Assert.Equal(0, await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task Publishing_needs_a_tenant_key()
    {
        using var anonymous = _stack.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await anonymous.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct)).StatusCode);
        using var admin = _stack.CreateAdminClient();
        Assert.Equal(HttpStatusCode.Forbidden,
            (await admin.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct)).StatusCode);
        using var wrong = _stack.CreateClient("whk_not-a-real-key");
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await wrong.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct)).StatusCode);
    }
}
