using Microsoft.Extensions.Configuration;
using Webhooks.Core;

namespace Webhooks.AppHost.Infrastructure;

public static class InfrastructureExtensions
{
    /// <summary>Postgres (database <c>webhooksdb</c>) and Redis, as containers when a container runtime answers,
    /// otherwise as local processes from the machine's postgresql and redis-server packages. A connection string in the
    /// AppHost's configuration (<c>ConnectionStrings__webhooksdb</c>, <c>ConnectionStrings__redis</c>: an external
    /// Postgres, a managed Redis, a Redis Cluster's node list) replaces the server the AppHost would run.</summary>
    public static WebhooksInfrastructure AddWebhooksInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var externalDatabase = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ResourceNames.Database));
        var externalRedis = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ResourceNames.Redis));
        var mode = externalDatabase && externalRedis
            ? InfrastructureMode.Processes // runs neither
            : InfrastructureModeDetector.Resolve(builder.Configuration[InfrastructureModeDetector.ConfigKey]);

        IResourceBuilder<IResourceWithConnectionString> database, redis;
        IResourceBuilder<IResource>? postgresServer = null, redisServer = null;
        if (externalDatabase) database = builder.AddConnectionString(ResourceNames.Database);
        else if (mode == InfrastructureMode.Containers)
        {
            var postgres = builder.AddPostgres(ResourceNames.PostgresServer);
            (database, postgresServer) = (postgres.AddDatabase(ResourceNames.Database), postgres);
        }
        else
        {
            var local = builder.AddLocalPostgres(ResourceNames.PostgresServer, ResourceNames.Database);
            (database, postgresServer) = (local.Database, local.Server);
        }

        if (externalRedis) redis = builder.AddConnectionString(ResourceNames.Redis);
        else if (mode == InfrastructureMode.Containers)
        {
            var container = builder.AddRedis(ResourceNames.Redis);
            (redis, redisServer) = (container, container);
        }
        else
        {
            var local = builder.AddLocalRedis(ResourceNames.RedisServer, ResourceNames.Redis);
            (redis, redisServer) = (local.ConnectionString, local.Server);
        }
        return new(database, redis, postgresServer, redisServer);
    }

    /// <summary>References both connection strings and starts only once the servers the AppHost runs are healthy.</summary>
    public static IResourceBuilder<T> WithWebhooksInfrastructure<T>(this IResourceBuilder<T> project, WebhooksInfrastructure infrastructure)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        project.WithReference(infrastructure.Database)
            .WithReference(infrastructure.Redis)
            .WaitForIfAny(infrastructure.PostgresServer)
            .WaitForIfAny(infrastructure.RedisServer);

    private static IResourceBuilder<T> WaitForIfAny<T>(this IResourceBuilder<T> project, IResourceBuilder<IResource>? server)
        where T : IResourceWithWaitSupport =>
        server is null ? project : project.WaitFor(server);
}
