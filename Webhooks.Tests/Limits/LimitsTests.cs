using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Limits;

/// <summary>Each of the Api's per-tenant limits (Webhooks:Limits:*) answers a 4xx problem naming the limit and its value,
/// writes nothing, and leaves other tenants alone.</summary>
public sealed class LimitsTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, new Dictionary<string, string?>
    {
        ["Webhooks:Limits:WebhooksPerTenant"] = "4",
        ["Webhooks:Limits:DeliveriesPerRequest"] = "10",
        ["Webhooks:Limits:PublishPerSecondPerTenant"] = "5",
    }, withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task A_tenant_gets_409_past_its_webhook_limit_even_when_creating_concurrently()
    {
        var tenant = await Seed.TenantAsync(_stack);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            client.PostAsJsonAsync("/v1/webhooks", new { url = $"https://h{i}.example/in", events = new[] { "sale.created" } }, Ct)));

        Assert.Equal(4, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        var refused = answers.First(a => a.StatusCode != HttpStatusCode.Created);
        var problem = await AssertProblemAsync(refused, HttpStatusCode.Conflict);
        Assert.Contains("Webhooks:Limits:WebhooksPerTenant = 4", problem.GetProperty("detail").GetString());
        await using var db = _stack.CreateDbContext();
        Assert.Equal(4, await db.Webhooks.CountAsync(w => w.TenantId == tenant.TenantId, Ct));

        // A deleted webhook makes room; another tenant was never limited by this one.
        var first = (await answers.First(a => a.StatusCode == HttpStatusCode.Created).Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/webhooks/{first["id"]}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/webhooks",
            new { url = "https://again.example/in", events = new[] { "sale.created" } }, Ct)).StatusCode);
        var other = await Seed.TenantAsync(_stack, "Other");
        using var otherClient = _stack.CreateClient(other.OwnerApiKey);
        Assert.Equal(HttpStatusCode.Created, (await otherClient.PostAsJsonAsync("/v1/webhooks",
            new { url = "https://other.example/in", events = new[] { "sale.created" } }, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_batch_that_would_create_more_deliveries_than_the_limit_is_400_naming_events_and_writes_nothing()
    {
        var tenant = await Seed.TenantAsync(_stack);
        for (var i = 0; i < 4; i++) await Seed.WebhookAsync(_stack, tenant, $"https://h{i}.example/in", ["sale.created"]);
        await Seed.WebhookAsync(_stack, tenant, "https://updates.example/in", ["sale.updated"]);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        // 3 × 4 = 12 deliveries: over 10.
        var over = await client.PostAsJsonAsync("/v1/events/batch", new
        {
            events = new[] { Sale("sale.created"), Sale("sale.created"), Sale("sale.created") },
        }, Ct);
        var problem = await AssertProblemAsync(over, HttpStatusCode.BadRequest, "events");
        Assert.Contains("12 deliveries", problem.GetRawText());
        Assert.Contains("Webhooks:Limits:DeliveriesPerRequest = 10", problem.GetRawText());
        await using var db = _stack.CreateDbContext();
        Assert.Equal(0, await db.Events.CountAsync(e => e.TenantId == tenant.TenantId, Ct));

        // 2 × 4 + 2 × 1 = 10: exactly the limit.
        var within = await client.PostAsJsonAsync("/v1/events/batch", new
        {
            events = new[] { Sale("sale.created"), Sale("sale.updated"), Sale("sale.created"), Sale("sale.updated") },
        }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, within.StatusCode);
        Assert.Equal(10, await db.Deliveries.CountAsync(d => d.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task Past_the_publish_rate_a_tenant_gets_429_with_Retry_After_and_other_tenants_publish_on()
    {
        var noisy = await Seed.TenantAsync(_stack, "Noisy");
        var quiet = await Seed.TenantAsync(_stack, "Quiet");
        using var noisyClient = _stack.CreateClient(noisy.OwnerApiKey);
        using var quietClient = _stack.CreateClient(quiet.OwnerApiKey);

        // The bucket holds one full batch (1000 events) and refills one event per 200 ms: the singles that follow
        // use up what refilled while the batch was written, then one is refused.
        var batch = await noisyClient.PostAsJsonAsync("/v1/events/batch",
            new { events = Enumerable.Range(0, 1000).Select(_ => Sale("sale.created")).ToArray() }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, batch.StatusCode);
        HttpResponseMessage refused;
        var accepted = 1000;
        while ((refused = await noisyClient.PostAsJsonAsync("/v1/events", Sale("sale.created"), Ct)).StatusCode == HttpStatusCode.Accepted)
            Assert.True(++accepted < 1100, "the publish rate limit never refused a publish");

        var problem = await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Contains("Webhooks:Limits:PublishPerSecondPerTenant = 5", problem.GetProperty("detail").GetString());
        Assert.True(refused.Headers.RetryAfter?.Delta is { } wait && wait >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.Equal(HttpStatusCode.Accepted, (await quietClient.PostAsJsonAsync("/v1/events", Sale("sale.created"), Ct)).StatusCode);
        await using var db = _stack.CreateDbContext();
        Assert.Equal(accepted, await db.Events.CountAsync(e => e.TenantId == noisy.TenantId, Ct));

        // The bucket refills: after the wait the tenant publishes again.
        await Eventually.True(async () =>
            (await noisyClient.PostAsJsonAsync("/v1/events", Sale("sale.created"), Ct)).StatusCode == HttpStatusCode.Accepted,
            "the noisy tenant's bucket to refill");
    }

    private static object Sale(string type) => new { type, data = new { saleId = 1 } };
}
