using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Webhooks.Core;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Faults;

/// <summary>
/// Faults injected into the real processes the AppHost runs: every accepted event must still be delivered at least
/// once. Each test prints what it injected and what it counted.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class ProcessFaultTests(AppFixture app, ITestOutputHelper output) : IAsyncLifetime
{
    private TestReceiver _receiver = null!;
    private readonly ConcurrentDictionary<string, int> _arrivals = new();
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _receiver = await TestReceiver.StartAsync();
        _receiver.Respond = (context, request) =>
        {
            // Count by event id: a duplicate is the same event arriving twice.
            var eventId = (string?)JsonNode.Parse(request.Body)?["id"];
            if (eventId is not null) _arrivals.AddOrUpdate(eventId, 1, (_, n) => n + 1);
            context.Response.StatusCode = 200;
            return Task.CompletedTask;
        };
    }

    public ValueTask DisposeAsync() => _receiver.DisposeAsync();

    [Fact]
    public async Task Killing_the_dispatcher_with_sigkill_three_times_under_load_loses_no_event()
    {
        using var client = await TenantWithWebhookAsync("/kill");
        var accepted = new ConcurrentBag<string>();
        using var publishing = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var publisher = Task.Run(async () =>
        {
            for (var i = 0; i < 300 && !publishing.IsCancellationRequested; i++)
            {
                var response = await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { i } }, publishing.Token);
                if (response.StatusCode == HttpStatusCode.Accepted)
                    accepted.Add((string)(await response.Content.ReadFromJsonAsync<JsonObject>(publishing.Token))!["id"]!);
                await Task.Delay(5, publishing.Token);
            }
        }, Ct);

        var kills = 0;
        for (var round = 0; round < 3; round++)
        {
            await Eventually.True(() => Task.FromResult(!_arrivals.IsEmpty), "deliveries to flow before the kill");
            await app.KillAsync(ResourceNames.Dispatcher);
            kills++;
            await app.WaitStoppedAsync(ResourceNames.Dispatcher);
            await app.StartAsync(ResourceNames.Dispatcher);
        }
        await publisher;

        await Eventually.True(() => Task.FromResult(accepted.All(_arrivals.ContainsKey)),
            $"all {accepted.Count} accepted events to arrive", TimeSpan.FromSeconds(120));
        var duplicates = accepted.Sum(id => _arrivals[id] - 1);
        output.WriteLine($"SIGKILLs: {kills}; events accepted: {accepted.Count}; delivered: {accepted.Count(_arrivals.ContainsKey)}; duplicates: {duplicates}");
        Assert.Equal(300, accepted.Count);
    }

    [Fact]
    public async Task Restarting_redis_under_load_loses_no_event()
    {
        using var client = await TenantWithWebhookAsync("/redis");
        var accepted = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            if (i == 50) await app.RestartAsync(ResourceNames.RedisServer);
            var response = await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { i } }, Ct);
            // Events published around the restart are scheduled late (the reconciler finds them), never lost.
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            accepted.Add((string)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]!);
        }

        // The AppHost's reconciler sweeps every second in tests.
        await Eventually.True(() => Task.FromResult(accepted.All(_arrivals.ContainsKey)),
            $"all {accepted.Count} accepted events to arrive", TimeSpan.FromSeconds(90));
        output.WriteLine($"Redis restarts: 1; events accepted: {accepted.Count}; duplicates: {accepted.Sum(id => _arrivals[id] - 1)}");
    }

    private async Task<HttpClient> TenantWithWebhookAsync(string path)
    {
        using var admin = app.CreateApiClient(AppFixture.AdminApiKey);
        var tenant = await (await admin.PostAsJsonAsync("/v1/tenants",
            new { name = "Faults " + path, owner = new { email = $"{Guid.NewGuid():N}@example.com", name = "O" } }, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        var client = app.CreateApiClient((string)tenant!["apiKey"]!);
        var created = await client.PostAsJsonAsync("/v1/webhooks", new { url = _receiver.Url(path), events = new[] { "sale.created" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return client;
    }
}
