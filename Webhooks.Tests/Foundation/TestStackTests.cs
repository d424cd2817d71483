using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Webhooks.Core.Data;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Foundation;

public sealed class TestStackTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Api_migrates_a_fresh_database_and_both_services_are_healthy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure);

        await using var db = stack.CreateDbContext();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(ct));
        var types = await db.EventTypes.Select(t => t.Name).ToListAsync(ct);
        Assert.Equal(EventCatalog.All.Select(t => t.Name).Order(), types.Order());
        Assert.Equal(13, types.Count);

        foreach (var services in new[] { stack.ApiServices, stack.DispatcherServices })
        {
            var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(ct);
            Assert.True(report.Status == HealthStatus.Healthy,
                string.Join("; ", report.Entries.Select(e => $"{e.Key}={e.Value.Status} {e.Value.Exception?.Message}")));
        }
    }

    [Fact]
    public async Task Unknown_routes_and_missing_keys_answer_problem_json()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        using var client = stack.CreateClient();

        var notFound = await client.GetAsync("/v1/no-such-route", ct);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("application/problem+json", notFound.Content.Headers.ContentType?.MediaType);

        var unauthorized = await client.GetAsync("/v1/event-types", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("application/problem+json", unauthorized.Content.Headers.ContentType?.MediaType);
    }
}
