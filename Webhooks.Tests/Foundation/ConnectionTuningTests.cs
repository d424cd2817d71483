using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Webhooks.Core;
using Webhooks.Core.Data;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Foundation;

/// <summary>The services' connections plan a prepared statement once (generic plans: see WebhooksDatabase.Tuned), and a
/// value the operator puts in the connection string wins.</summary>
public sealed class ConnectionTuningTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Both_services_connections_use_generic_plans()
    {
        await using var stack = await TestStack.StartAsync(infrastructure);
        foreach (var services in new[] { stack.ApiServices, stack.DispatcherServices })
            Assert.Equal("force_generic_plan", await PlanCacheModeAsync(services.GetRequiredService<NpgsqlDataSource>()));
    }

    [Fact]
    public async Task A_plan_cache_mode_in_the_connection_string_wins()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var connectionString = stack.Settings[$"ConnectionStrings:{ResourceNames.Database}"] + ";Options=-c plan_cache_mode=auto";
        await using var dataSource = WebhooksDatabase.CreateDataSource(connectionString);
        Assert.Equal("auto", await PlanCacheModeAsync(dataSource));
    }

    private static async Task<string> PlanCacheModeAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SHOW plan_cache_mode");
        return (string)(await command.ExecuteScalarAsync(Ct))!;
    }
}
