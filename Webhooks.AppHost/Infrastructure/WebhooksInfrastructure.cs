namespace Webhooks.AppHost.Infrastructure;

/// <summary>The two connection strings the services use, and the server resources to wait for.</summary>
public sealed record WebhooksInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResource> PostgresServer,
    IResourceBuilder<IResource> RedisServer);
