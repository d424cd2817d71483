using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.ScaleOut;

/// <summary>The AppHost given a Redis Cluster's node list as <c>ConnectionStrings:redis</c>: it runs no Redis of its
/// own, both services start healthy on the cluster, and an event published through the Api is delivered.</summary>
[Collection(ClusterAppCollection.Name)]
public sealed class WholeAppOnClusterTests(ClusterAppFixture app) : IAsyncLifetime
{
    private TestReceiver _receiver = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _receiver = await TestReceiver.StartAsync();

    public ValueTask DisposeAsync() => _receiver.DisposeAsync();

    [Fact]
    public async Task An_event_is_delivered_by_the_whole_app_on_a_redis_cluster()
    {
        var model = app.App.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.DoesNotContain(model.Resources, r => r.Name is ResourceNames.RedisServer);
        Assert.Equal(app.Cluster.ConnectionString, await app.App.GetConnectionStringAsync(ResourceNames.Redis, Ct));

        using var admin = app.CreateApiClient(AppFixture.AdminApiKey);
        var tenant = await admin.PostAsJsonAsync("/v1/tenants",
            new { name = "Cluster " + Guid.NewGuid().ToString("N")[..6], owner = new { email = $"{Guid.NewGuid():N}@example.com", name = "Owner" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, tenant.StatusCode);
        using var client = app.CreateApiClient((string)(await tenant.Content.ReadFromJsonAsync<JsonObject>(Ct))!["apiKey"]!);
        var webhook = await client.PostAsJsonAsync("/v1/webhooks", new { url = _receiver.Url("/cluster"), events = new[] { "sale.created" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, webhook.StatusCode);

        var published = await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { saleId = 7 } }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        var deliveryId = (string)(await published.Content.ReadFromJsonAsync<JsonObject>(Ct))!["deliveries"]![0]!["id"]!;

        await Eventually.Get(() => client.GetFromJsonAsync<JsonObject>($"/v1/deliveries/{deliveryId}", Ct),
            d => (string?)d!["status"] == "success", "the delivery to succeed");
        Assert.Single(_receiver.ReceivedAt("/cluster"));
    }
}
