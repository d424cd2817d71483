using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Publishing;

/// <summary>An Idempotency-Key repeated with the same type and data returns the first event; with another type or data
/// it is a 409 problem, and nothing is published.</summary>
public sealed class IdempotencyTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task A_key_reused_with_other_data_or_type_gets_409_naming_the_header_and_publishes_nothing()
    {
        var tenant = await Seed.TenantAsync(_stack);
        await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created", "sale.updated"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        var first = await PublishAsync(client, """{"type":"sale.created","data":{"saleId":7,"total":10.5}}""", "order-7");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var firstId = (string?)(await first.Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"];

        // The same content, serialized another way (key order, spaces): a repeat.
        var repeat = await PublishAsync(client, """{ "data": { "total": 10.5, "saleId": 7 }, "type": "sale.created" }""", "order-7");
        Assert.Equal(HttpStatusCode.Accepted, repeat.StatusCode);
        Assert.Equal(firstId, (string?)(await repeat.Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]);

        foreach (var other in new[]
                 {
                     """{"type":"sale.created","data":{"saleId":8,"total":10.5}}""", // other data
                     """{"type":"sale.created","data":{"saleId":7}}""",              // less data
                     """{"type":"sale.updated","data":{"saleId":7,"total":10.5}}""", // other type
                 })
        {
            var conflict = await PublishAsync(client, other, "order-7");
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
            var problem = (await conflict.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
            var error = Assert.Single(problem["errors"]!.AsArray());
            Assert.Equal("Idempotency-Key", (string?)error!["name"], ignoreCase: true); // as the 400s name the header
            var message = (string?)error["reason"];
            Assert.Contains("different type or data", message);
            Assert.Contains(firstId!, message);
        }

        await using var db = _stack.CreateDbContext();
        Assert.Equal(1, await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));
        Assert.Equal(1, await db.Deliveries.CountAsync(d => d.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task A_batch_that_reuses_a_key_with_other_data_gets_409_naming_the_event_and_publishes_none_of_its_events()
    {
        var tenant = await Seed.TenantAsync(_stack);
        await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        Assert.Equal(HttpStatusCode.Accepted, (await PublishAsync(client, """{"type":"sale.created","data":{"n":1}}""", "k1")).StatusCode);

        var reused = await client.PostAsJsonAsync("/v1/events/batch", new
        {
            events = new object[]
            {
                new { type = "sale.created", data = new { n = 2 } },
                new { type = "sale.created", data = new { n = 99 }, idempotencyKey = "k1" },
            },
        }, Ct);
        await AssertConflictAsync(reused, "events[1].idempotencyKey");

        // Within one batch: the second use of a key must carry what the first did.
        var twice = await client.PostAsJsonAsync("/v1/events/batch", new
        {
            events = new object[]
            {
                new { type = "sale.created", data = new { n = 3 }, idempotencyKey = "k2" },
                new { type = "sale.created", data = new { n = 3 }, idempotencyKey = "k2" },
                new { type = "sale.created", data = new { n = 4 }, idempotencyKey = "k2" },
            },
        }, Ct);
        var body = await AssertConflictAsync(twice, "events[2].idempotencyKey");
        Assert.Contains("events[0]", body);

        await using var db = _stack.CreateDbContext();
        Assert.Equal(1, await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task Concurrent_conflicting_repeats_fail_alone_and_never_the_publishes_they_share_a_write_with()
    {
        var tenant = await Seed.TenantAsync(_stack);
        await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        // Per round: 8 requests under one key with two different bodies, racing each other into the group write,
        // among 16 plain publishes that share those writes.
        const int rounds = 5;
        for (var round = 0; round < rounds; round++)
        {
            var key = $"race-{round}";
            var keyed = Enumerable.Range(0, 8)
                .Select(i => """{"type":"sale.created","data":{"variant":""" + i % 2 + "}}")
                .Select(body => (Body: body, Task: PublishAsync(client, body, key)))
                .ToList();
            var plain = Enumerable.Range(0, 16)
                .Select(i => PublishAsync(client, """{"type":"sale.created","data":{"round":""" + round + ""","i":""" + i + "}}", null))
                .ToList();
            await Task.WhenAll(keyed.Select(k => k.Task).Concat(plain));

            Assert.All(plain, p => Assert.Equal(HttpStatusCode.Accepted, p.Result.StatusCode));
            var accepted = keyed.Where(k => k.Task.Result.StatusCode == HttpStatusCode.Accepted).ToList();
            Assert.NotEmpty(accepted);
            Assert.Single(accepted.Select(a => a.Body).Distinct()); // one body won
            var ids = await Task.WhenAll(accepted.Select(async a => (string?)(await a.Task.Result.Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]));
            Assert.Single(ids.Distinct());
            Assert.All(keyed.Except(accepted), k => Assert.Equal(HttpStatusCode.Conflict, k.Task.Result.StatusCode));
            Assert.Equal(4, accepted.Count); // every request with the winning body got the event
        }

        await using var db = _stack.CreateDbContext();
        Assert.Equal(rounds * (16 + 1), await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));
        Assert.Equal(rounds * (16 + 1), await db.Deliveries.CountAsync(d => d.TenantId == tenant.TenantId, Ct));
    }

    private Task<HttpResponseMessage> PublishAsync(HttpClient client, string json, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request, Ct);
    }

    private async Task<string> AssertConflictAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(field, (string?)Assert.Single(JsonNode.Parse(body)!["errors"]!.AsArray())!["name"]);
        return body;
    }
}
