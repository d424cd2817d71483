namespace Webhooks.Core;

/// <summary>
/// The names the AppHost gives its resources and the services look their connection strings up by (DESIGN.md,
/// "Infrastructure"). The AppHost, the bench and the demo's pos-simulator compile this same file (a linked source), so
/// each name is written once.
/// </summary>
internal static class ResourceNames
{
    /// <summary>The Postgres database, and its connection string (<c>ConnectionStrings:webhooksdb</c>).</summary>
    public const string Database = "webhooksdb";

    /// <summary>The Redis connection string (<c>ConnectionStrings:redis</c>).</summary>
    public const string Redis = "redis";

    public const string PostgresServer = "postgres";

    /// <summary>Redis as a local process; as a container, the resource is <see cref="Redis"/> itself.</summary>
    public const string RedisServer = "redis-server";

    public const string Api = "api";
    public const string Dispatcher = "dispatcher";

    /// <summary>The AppHost demo's publisher (on unless <c>AppHost:Demo=false</c>).</summary>
    public const string PosSimulator = "pos-simulator";

    /// <summary>The AppHost demo's receiver.</summary>
    public const string DemoReceiver = "demo-receiver";
}
