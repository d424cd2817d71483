namespace Webhooks.AppHost.Infrastructure;

public static class InfrastructureExtensions
{
    public const string DatabaseName = "webhooksdb";
    public const string RedisName = "redis";

    /// <summary>Postgres (database <c>webhooksdb</c>) and Redis, as containers when a container runtime answers,
    /// otherwise as local processes from the machine's postgresql and redis-server packages.</summary>
    public static WebhooksInfrastructure AddWebhooksInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var mode = InfrastructureModeDetector.Resolve(builder.Configuration[InfrastructureModeDetector.ConfigKey]);
        if (mode == InfrastructureMode.Containers)
        {
            var postgres = builder.AddPostgres("postgres");
            var redis = builder.AddRedis(RedisName);
            return new(postgres.AddDatabase(DatabaseName), redis, postgres, redis);
        }
        var localPostgres = builder.AddLocalPostgres("postgres", DatabaseName);
        var localRedis = builder.AddLocalRedis("redis-server", RedisName);
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
