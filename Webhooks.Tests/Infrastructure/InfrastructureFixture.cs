using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using StackExchange.Redis;
using Webhooks.Core;
using Webhooks.Core.Data;

[assembly: AssemblyFixture(typeof(Webhooks.Tests.Infrastructure.InfrastructureFixture))]

namespace Webhooks.Tests.Infrastructure;

/// <summary>
/// The fast tier's real Postgres and Redis, started once per test run by the AppHost's own infrastructure code
/// (containers where a runtime answers, local processes otherwise). Each <see cref="TestStack"/> gets a database
/// and a Redis key prefix (<c>Webhooks:Redis:KeyPrefix</c>) of its own, so stacks never see each other's deliveries;
/// prefixes, not database indexes, because a Redis Cluster has only database 0. Beside the AppHost's standalone Redis
/// runs a 3-master <see cref="LocalRedisCluster"/>: tests that take a <see cref="RedisBackend"/> run on both.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    private DistributedApplication? _app;
    private LocalRedisCluster? _cluster;
    private int _nextStack;

    public string PostgresServerConnectionString { get; private set; } = "";
    public string RedisConnectionString { get; private set; } = "";

    /// <summary>The cluster's node list, and nothing else (no <c>allowAdmin</c>): what an operator would be given.</summary>
    public string RedisClusterConnectionString => (_cluster ?? throw new InvalidOperationException("The cluster has not started.")).ConnectionString;

    public LocalRedisCluster RedisCluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public string RedisConnectionStringOf(RedisBackend backend) =>
        backend == RedisBackend.Cluster ? RedisClusterConnectionString : RedisConnectionString;

    public async ValueTask InitializeAsync()
    {
        // The cluster starts while the AppHost does (a couple of seconds, most of it the cluster agreeing on slots).
        var cluster = LocalRedisCluster.StartAsync(TestContext.Current.CancellationToken);
        // The real AppHost minus its two projects: the tests run those in-process.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Webhooks_AppHost>(["--AppHost:Demo=false"],
            TestContext.Current.CancellationToken);
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList()) builder.Resources.Remove(project);
        _app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        using var cts = new CancellationTokenSource(TestTimeouts.AppStart);
        await _app.StartAsync(cts.Token);
        foreach (var server in builder.Resources.Where(r => r.Name is ResourceNames.PostgresServer or ResourceNames.RedisServer or ResourceNames.Redis && r is not IResourceWithParent))
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(server.Name, cts.Token);
        var database = await _app.GetConnectionStringAsync(ResourceNames.Database, cts.Token);
        PostgresServerConnectionString = new NpgsqlConnectionStringBuilder(database) { Database = null }.ConnectionString;
        RedisConnectionString = (await _app.GetConnectionStringAsync(ResourceNames.Redis, cts.Token))!;
        _cluster = await cluster;
    }

    /// <summary>A fresh database name and Redis key prefix, never used before on these servers.</summary>
    internal (string Database, string KeyPrefix) NextStack()
    {
        var n = Interlocked.Increment(ref _nextStack);
        var unique = $"{n}_{Guid.NewGuid().ToString("N")[..8]}";
        return ($"webhooks_test_{unique}", $"webhooks-test-{unique}");
    }

    /// <remarks>Each stack's database has connection pools of its own, which outlive the stack; idle connections are
    /// closed after 10 s instead of Npgsql's 300, so the stacks of the last minutes do not add up past Postgres'
    /// max_connections (seen: "53300: sorry, too many clients already" in a full run on a busy machine).</remarks>
    internal string DatabaseConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(PostgresServerConnectionString)
        {
            Database = database, ConnectionIdleLifetime = 10, ConnectionPruningInterval = 2,
        }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}

/// <summary>Which Redis a test runs on: the AppHost's single server, or the 3-master cluster.</summary>
public enum RedisBackend
{
    Standalone,
    Cluster,
}
