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

/// <summary>The AppHost given a Redis Cluster's node list as <c>ConnectionStrings:redis</c> and two replicas of each
/// service (<c>AppHost:ApiReplicas</c>, <c>AppHost:DispatcherReplicas</c>): it runs no Redis of its own, every process
/// starts healthy on the cluster, and events published through the Apis are delivered once each.</summary>
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

        // With an Idempotency-Key, so a publish retried by the test client's resilience pipeline is not a second event.
        using var publish = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = JsonContent.Create(new { type = "sale.created", data = new { saleId = 7 } }) };
        publish.Headers.Add("Idempotency-Key", "cluster-" + Guid.NewGuid().ToString("N"));
        var published = await client.SendAsync(publish, Ct);
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        var deliveryId = (string)(await published.Content.ReadFromJsonAsync<JsonObject>(Ct))!["deliveries"]![0]!["id"]!;

        await Eventually.Get(() => client.GetFromJsonAsync<JsonObject>($"/v1/deliveries/{deliveryId}", Ct),
            d => (string?)d!["status"] == "success", "the delivery to succeed");
        Assert.Single(_receiver.ReceivedAt("/cluster"));
    }

    [Fact]
    public async Task Replicas_run_as_instances_of_their_own_and_deliver_every_event_once()
    {
        // Each replica is an instance the dashboard lists apart (the resource name plus a suffix of its own).
        var instances = new Dictionary<string, HashSet<string>> { [ResourceNames.Api] = [], [ResourceNames.Dispatcher] = [] };
        using (var watching = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            watching.CancelAfter(TestTimeouts.AppStart);
            await foreach (var e in app.App.ResourceNotifications.WatchAsync(watching.Token))
            {
                if (instances.TryGetValue(e.Resource.Name, out var seen) && e.Snapshot.State?.Text == KnownResourceStates.Running
                    && e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
                    seen.Add(e.ResourceId);
                if (instances.Values.All(i => i.Count == ClusterAppFixture.Replicas)) break;
            }
        }
        Assert.All(instances, pair => Assert.Equal(ClusterAppFixture.Replicas, pair.Value.Count));
        Assert.All(instances, pair => Assert.All(pair.Value, id => Assert.StartsWith(pair.Key + "-", id)));

        using var admin = app.CreateApiClient(AppFixture.AdminApiKey);
        var tenant = await admin.PostAsJsonAsync("/v1/tenants",
            new { name = "Replicas " + Guid.NewGuid().ToString("N")[..6], owner = new { email = $"{Guid.NewGuid():N}@example.com", name = "Owner" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, tenant.StatusCode);
        using var client = app.CreateApiClient((string)(await tenant.Content.ReadFromJsonAsync<JsonObject>(Ct))!["apiKey"]!);
        var webhook = await client.PostAsJsonAsync("/v1/webhooks", new { url = _receiver.Url("/replicas"), events = new[] { "sale.created" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, webhook.StatusCode);

        // Through the Api's endpoint, which Aspire's proxy spreads over both Api replicas; both Dispatchers claim. Each
        // with an Idempotency-Key, as a real client would: the test client's resilience pipeline retries a publish that
        // is slow to answer on a loaded box, and the key makes the retry return the first event, not a second one.
        const int events = 40;
        var runId = Guid.NewGuid().ToString("N")[..8];
        var published = await Task.WhenAll(Enumerable.Range(0, events).Select(n =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = JsonContent.Create(new { type = "sale.created", data = new { n } }) };
            request.Headers.Add("Idempotency-Key", $"replicas-{runId}-{n}");
            return client.SendAsync(request, Ct);
        }));
        Assert.All(published, response => Assert.Equal(HttpStatusCode.Accepted, response.StatusCode));

        var deliveryIds = new List<string>();
        foreach (var response in published)
            deliveryIds.Add((string)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["deliveries"]![0]!["id"]!);
        var attempts = new Dictionary<string, int>();
        foreach (var id in deliveryIds)
        {
            var delivery = await Eventually.Get(() => client.GetFromJsonAsync<JsonObject>($"/v1/deliveries/{id}", Ct),
                d => (string?)d!["status"] == "success", "every delivery to succeed");
            attempts[id] = delivery!["attemptCount"]!.GetValue<int>();
        }
        // Each delivery arrived, and never more often than it has attempts: no attempt was sent by both Dispatchers.
        // (A send that outlives the request timeout on a loaded box is recorded as failed and retried: a second
        // arrival, with a second attempt row to show for it.)
        var received = _receiver.ReceivedAt("/replicas").GroupBy(r => r.Headers["webhook-id"]).ToDictionary(g => g.Key, g => g.Count());
        var strangers = _receiver.ReceivedAt("/replicas").Where(r => !deliveryIds.Contains(r.Headers["webhook-id"]))
            .Select(r => $"{r.Headers["webhook-id"]} {r.Body}").ToList();
        Assert.True(strangers.Count == 0, $"received {strangers.Count} deliveries not published here: {string.Join("; ", strangers)}; published {published.Length}, ids {deliveryIds.Distinct().Count()}");
        Assert.Equal(deliveryIds.Order(), received.Keys.Order());
        Assert.All(deliveryIds, id => Assert.InRange(received[id], 1, attempts[id]));
    }
}
