using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Data.Entities;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Portal;

/// <summary><c>GET /v1/webhooks/{id}/stats</c>: the portal's 24-hour chart of success rate and latency.</summary>
public sealed class WebhookStatsTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    // A whole hour, so the 24 one-hour buckets of the window start on the hour.
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private TestStack _stack = null!;

    public async ValueTask InitializeAsync() =>
        _stack = await TestStack.StartAsync(infrastructure, configureServices: s => s.AddSingleton<TimeProvider>(_time), withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task Attempts_of_the_last_24_hours_are_counted_per_hour_with_success_rate_and_latency()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var hook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        var other = await Seed.WebhookAsync(_stack, tenant, "https://b.example/hook", ["sale.created"]);
        // Hour 23 (the last): 3 successes of 10, 20 and 30 ms and one 500 of 100 ms. Hour 0: one timeout (no status).
        var recent = Now.AddMinutes(-30);
        await AttemptsAsync(hook.WebhookId, tenant.TenantId, createdAt: recent,
            (recent, 200, 10), (recent.AddSeconds(1), 204, 20), (recent.AddSeconds(2), 299, 30), (recent.AddSeconds(3), 500, 100));
        // A delivery made two days ago whose manual retry ran in hour 0 still counts there; its older attempt does not.
        await AttemptsAsync(hook.WebhookId, tenant.TenantId, createdAt: Now.AddDays(-2),
            (Now.AddDays(-2), 500, 5), (Now.AddHours(-23).AddMinutes(-30), null, 30_000));
        // Another webhook's attempts are not this one's.
        await AttemptsAsync(other.WebhookId, tenant.TenantId, createdAt: recent, (recent, 500, 7));
        // Not yet started (the clock is fake: the row says it started after "now").
        await AttemptsAsync(hook.WebhookId, tenant.TenantId, createdAt: recent, (Now.AddMinutes(1), 200, 1));

        using var client = _stack.CreateClient(tenant.OwnerApiKey);
        var stats = await ReadAsync(await client.GetAsync($"/v1/webhooks/{hook.WebhookId}/stats", Ct), HttpStatusCode.OK);

        Assert.Equal(Now.AddHours(-24), stats.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(Now, stats.GetProperty("until").GetDateTimeOffset());
        Assert.Equal(3600, stats.GetProperty("bucketSeconds").GetInt32());
        var buckets = stats.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(24, buckets.Count);
        Assert.Equal(Now.AddHours(-1), buckets[23].GetProperty("start").GetDateTimeOffset());

        var last = buckets[23].GetProperty("figures");
        Assert.Equal(4, last.GetProperty("attempts").GetInt32());
        Assert.Equal(3, last.GetProperty("succeeded").GetInt32());
        Assert.Equal(1, last.GetProperty("failed").GetInt32());
        Assert.Equal(0.75, last.GetProperty("successRate").GetDouble());
        Assert.Equal(25, last.GetProperty("p50DurationMs").GetDouble()); // median of 10, 20, 30, 100
        var first = buckets[0].GetProperty("figures");
        Assert.Equal(1, first.GetProperty("attempts").GetInt32());
        Assert.Equal(0, first.GetProperty("successRate").GetDouble());
        Assert.Equal(30_000, first.GetProperty("p95DurationMs").GetDouble());
        var empty = buckets[12].GetProperty("figures");
        Assert.Equal(0, empty.GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKindNull, empty.GetProperty("successRate").ValueKind);

        var total = stats.GetProperty("total");
        Assert.Equal(5, total.GetProperty("attempts").GetInt32());
        Assert.Equal(0.6, total.GetProperty("successRate").GetDouble(), 6);
    }

    [Fact]
    public async Task A_shorter_window_has_shorter_buckets_and_bad_hours_are_refused()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var hook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        await AttemptsAsync(hook.WebhookId, tenant.TenantId, Now.AddMinutes(-10), (Now.AddMinutes(-10), 200, 10), (Now.AddHours(-3), 200, 10));
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        var stats = await ReadAsync(await client.GetAsync($"/v1/webhooks/{hook.WebhookId}/stats?hours=2", Ct), HttpStatusCode.OK);
        Assert.Equal(300, stats.GetProperty("bucketSeconds").GetInt32());
        Assert.Equal(1, stats.GetProperty("total").GetProperty("attempts").GetInt32());
        Assert.Equal(1, stats.GetProperty("buckets")[22].GetProperty("figures").GetProperty("attempts").GetInt32());

        foreach (var hours in new[] { "0", "169", "x" })
            await AssertProblemAsync(await client.GetAsync($"/v1/webhooks/{hook.WebhookId}/stats?hours={hours}", Ct), HttpStatusCode.BadRequest, "hours");
    }

    [Fact]
    public async Task Another_tenants_webhook_is_not_found()
    {
        var tenant = await Seed.TenantAsync(_stack);
        var hook = await Seed.WebhookAsync(_stack, tenant, "https://a.example/hook", ["sale.created"]);
        var other = await Seed.TenantAsync(_stack, "Other");
        using var client = _stack.CreateClient(other.OwnerApiKey);
        await AssertProblemAsync(await client.GetAsync($"/v1/webhooks/{hook.WebhookId}/stats", Ct), HttpStatusCode.NotFound);
        await AssertProblemAsync(await client.GetAsync($"/v1/webhooks/{Guid.NewGuid()}/stats", Ct), HttpStatusCode.NotFound);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    /// <summary>One delivery of a new event to the webhook, with attempts as the Dispatcher records them (ids are UUIDv7
    /// of each attempt's start).</summary>
    private async Task AttemptsAsync(Guid webhookId, Guid tenantId, DateTimeOffset createdAt, params (DateTimeOffset StartedAt, int? Status, int DurationMs)[] attempts)
    {
        await using var db = _stack.CreateDbContext();
        var ev = new Event { Id = Guid.CreateVersion7(createdAt), TenantId = tenantId, Type = "sale.created", Payload = "{}", CreatedAt = createdAt };
        var delivery = new Core.Data.Entities.Delivery
        {
            Id = Guid.CreateVersion7(createdAt), TenantId = tenantId, EventId = ev.Id, WebhookId = webhookId, Status = DeliveryStatus.Failed,
            AttemptCount = attempts.Length, CreatedAt = createdAt, CompletedAt = createdAt,
        };
        db.Events.Add(ev);
        db.Deliveries.Add(delivery);
        var number = 0;
        foreach (var (startedAt, status, duration) in attempts)
        {
            db.DeliveryAttempts.Add(new DeliveryAttempt
            {
                Id = Guid.CreateVersion7(startedAt), DeliveryId = delivery.Id, Number = ++number, StartedAt = startedAt, DurationMs = duration,
                ResponseStatus = status, Error = status is null ? "timeout" : null,
            });
        }
        await db.SaveChangesAsync(Ct);
    }
}
