using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.EndToEnd;

/// <summary>The whole app as the AppHost runs it: publish through the Api, receive from the Dispatcher's process.</summary>
[Collection(AppCollection.Name)]
public sealed class WholeAppDeliveryTests(AppFixture app) : IAsyncLifetime
{
    private TestReceiver _receiver = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _receiver = await TestReceiver.StartAsync();

    public ValueTask DisposeAsync() => _receiver.DisposeAsync();

    [Fact]
    public async Task An_event_reaches_both_subscribed_webhooks_signed_and_not_the_unsubscribed_one()
    {
        using var client = await NewTenantClientAsync();
        var a = await CreateWebhookAsync(client, _receiver.Url("/a"), "sale.created");
        var b = await CreateWebhookAsync(client, _receiver.Url("/b"), "sale.created", "sale.updated");
        await CreateWebhookAsync(client, _receiver.Url("/c"), "sale.updated");

        var published = await PublishAsync(client, "sale.created", new { saleId = 1234, total = 99.5 });

        await Eventually.True(() => Task.FromResult(_receiver.ReceivedAt("/a").Count >= 1 && _receiver.ReceivedAt("/b").Count >= 1),
            "both subscribed webhooks to receive the event");
        foreach (var (path, secret) in new[] { ("/a", (string)a["secret"]!), ("/b", (string)b["secret"]!) })
        {
            var request = _receiver.ReceivedAt(path)[0];
            var body = JsonNode.Parse(request.Body)!;
            Assert.Equal((string?)published["id"], (string?)body["id"]);
            Assert.Equal("sale.created", (string?)body["type"]);
            Assert.Equal(1234, body["data"]!["saleId"]!.GetValue<int>());
            Assert.Equal("sale.created", request.Headers["X-Webhook-Event"]);

            var hex = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(request.Body)));
            Assert.Equal(hex, request.Headers["X-Webhook-Signature"]);
            // An independent implementation of Standard Webhooks checks the other signature.
            var headers = new HeaderDictionary(request.Headers.ToDictionary(h => h.Key, h => new Microsoft.Extensions.Primitives.StringValues(h.Value)));
            new StandardWebhooks.StandardWebhook(secret).Verify(request.Body, headers);
        }
        Assert.Empty(_receiver.ReceivedAt("/c"));

        var deliveries = (await client.GetFromJsonAsync<JsonObject>($"/v1/deliveries?eventId={published["id"]}", Ct))!["items"]!.AsArray();
        await Eventually.True(async () =>
            (await client.GetFromJsonAsync<JsonObject>($"/v1/deliveries?eventId={published["id"]}&status=success", Ct))!["items"]!.AsArray().Count == 2,
            "both deliveries to be recorded as success");
        Assert.Equal(2, deliveries.Count);
    }

    [Fact]
    public async Task A_receiver_failing_twice_gets_exactly_three_attempts_and_the_delivery_ends_success()
    {
        using var client = await NewTenantClientAsync();
        var failuresLeft = 2;
        var path = "/flaky-" + Guid.NewGuid().ToString("N")[..8];
        var previous = _receiver.Respond;
        _receiver.Respond = (context, request) =>
        {
            context.Response.StatusCode = request.Path == path && Interlocked.Decrement(ref failuresLeft) >= 0 ? 503 : 200;
            return Task.CompletedTask;
        };
        await CreateWebhookAsync(client, _receiver.Url(path), "inventory.low_stock");

        var published = await PublishAsync(client, "inventory.low_stock", new { sku = "X" });
        var deliveryId = (string)published["deliveries"]![0]!["id"]!;

        var delivery = await Eventually.Get(() => client.GetFromJsonAsync<JsonObject>($"/v1/deliveries/{deliveryId}", Ct),
            d => (string?)d!["status"] == "success", "the delivery to succeed");
        var attempts = delivery!["attempts"]!.AsArray();
        Assert.Equal([503, 503, 200], attempts.Select(x => x!["responseStatus"]!.GetValue<int>()));
        Assert.Equal(3, delivery["attemptCount"]!.GetValue<int>());
        Assert.Equal(3, _receiver.ReceivedAt(path).Count);
        // One delivery id across retries, so receivers can deduplicate.
        Assert.Single(_receiver.ReceivedAt(path).Select(r => r.Headers["webhook-id"]).Distinct());
        _receiver.Respond = previous;
    }

    private async Task<HttpClient> NewTenantClientAsync()
    {
        using var admin = app.CreateApiClient(AppFixture.AdminApiKey);
        var response = await admin.PostAsJsonAsync("/v1/tenants",
            new { name = "E2E " + Guid.NewGuid().ToString("N")[..6], owner = new { email = $"{Guid.NewGuid():N}@example.com", name = "Owner" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return app.CreateApiClient((string)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["apiKey"]!);
    }

    private async Task<JsonObject> CreateWebhookAsync(HttpClient client, string url, params string[] events)
    {
        var response = await client.PostAsJsonAsync("/v1/webhooks", new { url, events }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
    }

    private async Task<JsonObject> PublishAsync(HttpClient client, string type, object data)
    {
        var response = await client.PostAsJsonAsync("/v1/events", new { type, data }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
    }
}
