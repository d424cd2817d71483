using Webhooks.Core;

namespace Webhooks.AppHost.Infrastructure;

public static class InfrastructureExtensions
{
    /// <summary>Postgres (database <c>webhooksdb</c>) and Redis, as containers when a container runtime answers,
    /// otherwise as local processes from the machine's postgresql and redis-server packages.</summary>
    public static WebhooksInfrastructure AddWebhooksInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var mode = InfrastructureModeDetector.Resolve(builder.Configuration[InfrastructureModeDetector.ConfigKey]);
        if (mode == InfrastructureMode.Containers)
        {
            var postgres = builder.AddPostgres(ResourceNames.PostgresServer);
            var redis = builder.AddRedis(ResourceNames.Redis);
            return new(postgres.AddDatabase(ResourceNames.Database), redis, postgres, redis);
        }
        var localPostgres = builder.AddLocalPostgres(ResourceNames.PostgresServer, ResourceNames.Database);
        var localRedis = builder.AddLocalRedis(ResourceNames.RedisServer, ResourceNames.Redis);
        return new(localPostgres.Database, localRedis.ConnectionString, localPostgres.Server, localRedis.Server);
    }

    /// <summary>References both connection strings and starts only once both servers are healthy.</summary>
    public static IResourceBuilder<T> WithWebhooksInfrastructure<T>(this IResourceBuilder<T> project, WebhooksInfrastructure infrastructure)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        project.WithReference(infrastructure.Database)
            .WithReference(infrastructure.Redis)
            .WaitFor(infrastructure.PostgresServer)
            .WaitFor(infrastructure.RedisServer);
}
