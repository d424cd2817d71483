using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Queue;
using Webhooks.Tests.Delivery;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Publishing;

/// <summary>
/// Concurrent single publishes share writes (one statement and commit for the requests that queue meanwhile). Each
/// request must still get exactly its own tenant's deliveries, and one request's failure must not fail the others.
/// </summary>
public sealed class ConcurrentPublishTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const int PerTenant = 30;
    private TestStack _stack = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task Concurrent_publishes_of_several_tenants_each_get_their_own_deliveries_and_a_repeated_key_fails_nobody()
    {
        var a = await Seed.TenantAsync(_stack, "A");
        var a1 = await Seed.WebhookAsync(_stack, a, "https://a1.example/hook", ["sale.created"]);
        var a2 = await Seed.WebhookAsync(_stack, a, "https://a2.example/hook", ["sale.created", "sale.updated"]);
        var b = await Seed.TenantAsync(_stack, "B");
        var b1 = await Seed.WebhookAsync(_stack, b, "https://b1.example/hook", ["sale.created"]);
        await Seed.WebhookAsync(_stack, b, "https://b2.example/hook", ["sale.updated"]);
        var c = await Seed.TenantAsync(_stack, "C");
        using var clientA = _stack.CreateClient(a.OwnerApiKey);
        using var clientB = _stack.CreateClient(b.OwnerApiKey);
        using var clientC = _stack.CreateClient(c.OwnerApiKey);

        // Repeats of one key, interleaved with the others: two of them may share a write, or race between look-up and
        // write; each gets the one event, and nobody sharing the write fails.
        var publishes = Enumerable.Range(0, PerTenant).SelectMany(i => new[]
        {
            PublishAsync(clientA, i, key: null), PublishAsync(clientB, i, key: null), PublishAsync(clientC, i, key: null),
            // A repeat carries the same data, or it would be a 409 (see IdempotencyTests).
            i % 3 == 0 ? PublishAsync(clientA, -1, key: "same-key") : PublishAsync(clientA, i, key: null),
        });
        var results = await Task.WhenAll(publishes);

        var byTenant = results.GroupBy(r => r.Client).ToDictionary(g => g.Key, g => g.Select(r => r.Body).ToList());
        Assert.All(byTenant[clientA], e => Assert.Equal(new[] { a1.WebhookId, a2.WebhookId }.Order(), WebhookIds(e).Order()));
        Assert.All(byTenant[clientB], e => Assert.Equal([b1.WebhookId], WebhookIds(e)));
        Assert.All(byTenant[clientC], e => Assert.Empty(WebhookIds(e)));
        var repeated = results.Where(r => r.Key is not null).Select(r => (string?)r.Body["id"]).Distinct().ToList();
        Assert.Single(repeated);

        var keyed = results.Count(r => r.Key is not null);
        await using var db = _stack.CreateDbContext();
        Assert.Equal(2 * PerTenant - keyed + 1, await db.Events.CountAsync(e => e.TenantId == a.TenantId, Ct));
        Assert.Equal(PerTenant, await db.Events.CountAsync(e => e.TenantId == b.TenantId, Ct));
        Assert.Equal(PerTenant, await db.Events.CountAsync(e => e.TenantId == c.TenantId, Ct));
        var deliveries = await db.Deliveries.Where(d => d.TenantId == a.TenantId || d.TenantId == b.TenantId || d.TenantId == c.TenantId)
            .Select(d => new { d.Id, d.TenantId, d.EventId, d.NextAttemptAt, EventCreatedAt = d.Event!.CreatedAt }).ToListAsync(Ct);
        Assert.Equal(2 * (2 * PerTenant - keyed + 1) + PerTenant, deliveries.Count);
        Assert.DoesNotContain(deliveries, d => d.TenantId == c.TenantId);

        var answered = results.SelectMany(r => r.Body["deliveries"]!.AsArray()).Select(d => Guid.Parse((string)d!["id"]!)).ToHashSet();
        Assert.True(answered.SetEquals(deliveries.Select(d => d.Id)), "the responses name exactly the deliveries written");
                await _stack.PublishesScheduledAsync(); // (a publish answers at its commit; the schedule follows)
        foreach (var delivery in deliveries)
        {
            Assert.True(await Publish.IsScheduledAsync(_stack, delivery.Id), $"delivery {delivery.Id} is scheduled");
            // Delivery ids are made by Postgres, as UUIDv7 of the event's millisecond, like every other id.
            Assert.Equal(7, delivery.Id.Version);
            Assert.Equal(delivery.EventCreatedAt.ToUnixTimeMilliseconds(), UnixMilliseconds(delivery.Id));
            Assert.Equal(delivery.EventCreatedAt, delivery.NextAttemptAt);
        }
    }

    private async Task<(HttpClient Client, string? Key, JsonObject Body)> PublishAsync(HttpClient client, int i, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = JsonContent.Create(new { type = "sale.created", data = new { i } }),
        };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (client, key, (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!);
    }

    private static Guid[] WebhookIds(JsonObject published) =>
        published["deliveries"]!.AsArray().Select(d => Guid.Parse((string)d!["webhookId"]!)).ToArray();

    /// <summary>The 48-bit unix millisecond timestamp at the front of a UUIDv7.</summary>
    private static long UnixMilliseconds(Guid id)
    {
        var bytes = id.ToByteArray(bigEndian: true);
        return (long)bytes[0] << 40 | (long)bytes[1] << 32 | (long)bytes[2] << 24 | (long)bytes[3] << 16 | (long)bytes[4] << 8 | bytes[5];
    }
}
