using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Webhooks.Core.Data.Entities;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Publishing.PublishingTestData;

namespace Webhooks.Tests.Publishing;

public sealed class QueryTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task An_event_shows_its_data_and_deliveries_to_its_tenant_only()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var hook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var published = await PublishAsync(client, "sale.created", new { saleId = 5 });

        var got = (await client.GetFromJsonAsync<JsonObject>($"/v1/events/{published["id"]}", Ct))!;
        Assert.Equal(5, got["data"]!["saleId"]!.GetValue<int>());
        Assert.Equal(hook.WebhookId.ToString(), (string?)got["deliveries"]![0]!["webhookId"]);
        Assert.Equal("pending", (string?)got["deliveries"]![0]!["status"]);

        var other = await Seed.TenantAsync(_stack, "Other");
        using var otherClient = _stack.CreateClient(other.OwnerApiKey);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync($"/v1/events/{published["id"]}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/events/{Guid.NewGuid()}", Ct)).StatusCode);
        var malformed = await client.GetAsync("/v1/events/not-a-guid", Ct);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Deliveries_filter_by_webhook_event_status_and_since_and_page_newest_first()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var a = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        var b = await Seed.WebhookAsync(_stack, tenant, "https://b.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var events = new List<JsonObject>();
        for (var i = 0; i < 3; i++) events.Add(await PublishAsync(client, "sale.created", new { i }));
        var firstOfA = Guid.Parse((string)events[0]["deliveries"]!.AsArray().First(d => (string?)d!["webhookId"] == a.WebhookId.ToString())!["id"]!);
        await SetStateAsync(_stack, firstOfA, DeliveryStatus.Failed, 6);

        async Task<JsonObject> List(string query) => (await client.GetFromJsonAsync<JsonObject>($"/v1/deliveries{query}", Ct))!;

        Assert.Equal(6, (await List("")).Items().Count);
        Assert.All((await List($"?webhookId={b.WebhookId}")).Items(), d => Assert.Equal(b.WebhookId.ToString(), (string?)d["webhookId"]));
        Assert.Equal(3, (await List($"?webhookId={b.WebhookId}")).Items().Count);
        Assert.Equal(2, (await List($"?eventId={events[1]["id"]}")).Items().Count);
        var failed = (await List("?status=failed")).Items();
        Assert.Equal(firstOfA.ToString(), (string?)Assert.Single(failed)["id"]);
        Assert.Equal("sale.created", (string?)failed[0]["eventType"]);
        Assert.Empty((await List($"?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"))}")).Items());

        var page1 = await List("?limit=4");
        Assert.Equal(4, page1.Items().Count);
        var page2 = await List($"?limit=4&cursor={page1["nextCursor"]}");
        Assert.Equal(2, page2.Items().Count);
        Assert.Null(page2["nextCursor"]);
        var all = page1.Items().Concat(page2.Items()).Select(d => Guid.Parse((string)d["id"]!)).ToList();
        Assert.Equal(6, all.Distinct().Count());
        Assert.Equal((string?)events[2]["id"], (string?)page1.Items()[0]["eventId"]); // newest first

        var other = await Seed.TenantAsync(_stack, "Other");
        using var otherClient = _stack.CreateClient(other.OwnerApiKey);
        Assert.Empty((await otherClient.GetFromJsonAsync<JsonObject>("/v1/deliveries", Ct))!.Items());
    }

    [Theory]
    [InlineData("?status=exploded", "status")]
    [InlineData("?status=1", "status")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=501", "limit")]
    [InlineData("?cursor=garbage", "cursor")]
    [InlineData("?webhookId=not-a-guid", "webhookId")]
    [InlineData("?since=yesterday", "since")]
    public async Task Bad_delivery_filters_get_400_naming_the_parameter(string query, string field)
    {
        var tenant = await Seed.TenantAsync(_stack);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var response = await client.GetAsync($"/v1/deliveries{query}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_delivery_shows_every_attempt_in_order()
    {
        var tenant = await Seed.TenantAsync(_stack);
        await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var published = await PublishAsync(client, "sale.created", new { });
        var id = Guid.Parse((string)published["deliveries"]![0]!["id"]!);
        await SetStateAsync(_stack, id, DeliveryStatus.Success, 3);

        var got = (await client.GetFromJsonAsync<JsonObject>($"/v1/deliveries/{id}", Ct))!;
        Assert.Equal("success", (string?)got["status"]);
        Assert.Equal(3, got["attemptCount"]!.GetValue<int>());
        var attempts = got["attempts"]!.AsArray();
        Assert.Equal([1, 2, 3], attempts.Select(a => a!["number"]!.GetValue<int>()));
        Assert.Equal([500, 500, 200], attempts.Select(a => a!["responseStatus"]!.GetValue<int>()));
        Assert.Equal("answer 3", (string?)attempts[2]!["responseBody"]);
        Assert.Equal("text/plain", (string?)attempts[2]!["responseHeaders"]!["content-type"]);

        var other = await Seed.TenantAsync(_stack, "Other");
        using var otherClient = _stack.CreateClient(other.OwnerApiKey);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync($"/v1/deliveries/{id}", Ct)).StatusCode);
    }
}

internal static class JsonPageExtensions
{
    public static List<JsonObject> Items(this JsonObject page) => page["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
}
