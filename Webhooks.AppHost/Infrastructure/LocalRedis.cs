using Microsoft.Extensions.DependencyInjection;
using Aspire.Hosting.ApplicationModel;
using HealthChecks.Redis;

namespace Webhooks.AppHost.Infrastructure;

internal static class LocalRedis
{
    public const string Binary = "/usr/bin/redis-server";

    /// <summary>redis-server as a local process. No persistence: Redis only holds the schedule, which the
    /// Dispatcher's reconciler rebuilds from Postgres.</summary>
    public static (IResourceBuilder<IResource> Server, IResourceBuilder<IResourceWithConnectionString> ConnectionString)
        AddLocalRedis(this IDistributedApplicationBuilder builder, string serverName, string connectionName)
    {
        RequireBinary(Binary, "redis-server");
        var directory = LocalDataDirectories.Create(serverName);
        var server = builder.AddExecutable(serverName, Binary, directory)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false);
        var endpoint = server.GetEndpoint("tcp");
        server.WithArgs(context =>
        {
            context.Args.Add("--port");
            context.Args.Add(endpoint.Property(EndpointProperty.TargetPort));
            context.Args.Add("--bind");
            context.Args.Add("127.0.0.1");
            context.Args.Add("--save");
            context.Args.Add("");
            context.Args.Add("--appendonly");
            context.Args.Add("no");
        });

        var healthCheckKey = $"{serverName}_check";
        builder.Services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(
            healthCheckKey,
            _ => new RedisHealthCheck($"127.0.0.1:{endpoint.Port},abortConnect=false,connectTimeout=2000"),
            failureStatus: default, tags: default));
        server.WithHealthCheck(healthCheckKey);

        var connectionString = builder.AddConnectionString(connectionName,
            ReferenceExpression.Create($"127.0.0.1:{endpoint.Property(EndpointProperty.Port)}"));
        return (server, connectionString);
    }

    internal static void RequireBinary(string path, string package)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException(
                $"No container runtime answers and {path} is missing: install the '{package}' package (./run.sh does it), " +
                $"or set {InfrastructureModeDetector.ConfigKey}=containers.");
    }
}
