namespace Webhooks.AppHost.Infrastructure;

/// <summary>The two connection strings the services use, and the server resources to wait for (none for a server
/// the AppHost does not run: an external Postgres or Redis given as a connection string).</summary>
public sealed record WebhooksInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResource>? PostgresServer,
    IResourceBuilder<IResource>? RedisServer);
