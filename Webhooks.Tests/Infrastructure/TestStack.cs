using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Webhooks.Api.Features.Events;
using Webhooks.Core;
using Webhooks.Core.Data;
using Webhooks.Core.Queue;

namespace Webhooks.Tests.Infrastructure;

/// <summary>
/// The Api and the Dispatcher running in the test process against the fixture's real Postgres and Redis, each stack
/// with its own database and Redis key prefix. Tests may change settings and swap services (a FakeTimeProvider, say).
/// </summary>
public sealed class TestStack : IAsyncDisposable
{
    public const string AdminApiKey = "test-admin-key-0123456789abcdef";
    public const string EncryptionKey = "test-encryption-key-0123456789abcdef-0123456789";
    private readonly InfrastructureFixture _infrastructure;
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configureServices;
    private WebApplicationFactory<ApiEntryPoint>? _api;
    private WebApplicationFactory<DispatcherEntryPoint>? _dispatcher;
    private ConnectionMultiplexer? _redis;
    private NpgsqlDataSource? _dataSource;

    private TestStack(InfrastructureFixture infrastructure, IDictionary<string, string?>? settings, Action<IServiceCollection>? configureServices,
        RedisBackend redis)
    {
        _infrastructure = infrastructure;
        RedisConnectionString = infrastructure.RedisConnectionStringOf(redis);
        (DatabaseName, KeyPrefix) = infrastructure.NextStack();
        _configureServices = configureServices;
        _settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.Database}"] = infrastructure.DatabaseConnectionString(DatabaseName),
            [$"ConnectionStrings:{ResourceNames.Redis}"] = RedisConnectionString,
            ["Webhooks:Redis:KeyPrefix"] = KeyPrefix,
            ["Webhooks:AdminApiKey"] = AdminApiKey,
            ["Webhooks:Secrets:EncryptionKey"] = EncryptionKey,
            ["Webhooks:Delivery:AllowPrivateNetworks"] = "true",
            ["Webhooks:Portal:BaseUrl"] = "https://portal.test",
            // Tests publish in bursts; the limit's own tests set it low. The limiter still runs on every publish.
            ["Webhooks:Limits:PublishPerSecondPerTenant"] = "1000000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) _settings[key] = value;
    }

    public string DatabaseName { get; }
    public string KeyPrefix { get; }
    /// <summary>The settings both services start with (connection strings included), e.g. for a process of the Api run by hand.</summary>
    public IReadOnlyDictionary<string, string?> Settings => _settings;

    /// <summary>The Redis the stack's services use: the standalone server or the cluster's node list.</summary>
    public string RedisConnectionString { get; }

    /// <summary>Starts the Api (which migrates the new database), then the Dispatcher unless <paramref name="withDispatcher"/> is false.</summary>
    public static async Task<TestStack> StartAsync(InfrastructureFixture infrastructure,
        IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null, bool withDispatcher = true,
        RedisBackend redis = RedisBackend.Standalone)
    {
        var stack = new TestStack(infrastructure, settings, configureServices, redis);
        stack._redis = await ConnectionMultiplexer.ConnectAsync(stack.RedisConnectionString);
        stack._api = stack.Configure(new WebApplicationFactory<ApiEntryPoint>());
        _ = stack._api.Services; // starts the host: migrations run here
        if (withDispatcher) stack.StartDispatcher();
        return stack;
    }

    public IServiceProvider ApiServices => _api!.Services;
    public IServiceProvider DispatcherServices => _dispatcher?.Services ?? throw new InvalidOperationException("No Dispatcher in this stack.");
    public IDatabase Redis => _redis!.GetDatabase();
    public IConnectionMultiplexer RedisMultiplexer => _redis!;

    /// <summary>The stack's schedule, as both services see it.</summary>
    public DeliveryQueue Queue => ApiServices.GetRequiredService<DeliveryQueue>();

    /// <summary>Waits until the Api's publishes so far are in the Redis schedule: a publish answers once committed, and
    /// its schedule follows.</summary>
    public Task PublishesScheduledAsync() => ApiServices.GetRequiredService<EventWriter>().WhenScheduledAsync();

    /// <summary>Deletes every Redis key of this stack (its whole schedule, both tiers), on every server, once the
    /// publishes so far have been scheduled (so none lands after).</summary>
    public async Task ClearScheduleAsync()
    {
        await PublishesScheduledAsync();
        foreach (var server in _redis!.GetServers().Where(s => !s.IsReplica))
            await foreach (var key in server.KeysAsync(pattern: Queue.Keys.Tag + "*")) await Redis.KeyDeleteAsync(key);
    }

    /// <summary>An Api client with no credentials.</summary>
    public HttpClient CreateClient() => _api!.CreateClient();

    public HttpClient CreateClient(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    public HttpClient CreateAdminClient() => CreateClient(AdminApiKey);

    /// <summary>A handler that sends to the in-process Api, e.g. as the primary handler of a <c>WebhooksClient</c>.</summary>
    public HttpMessageHandler CreateHandler() => _api!.Server.CreateHandler();

    /// <summary>A client of the Dispatcher's own endpoints (health).</summary>
    public HttpClient CreateDispatcherClient() => (_dispatcher ?? throw new InvalidOperationException("No Dispatcher in this stack.")).CreateClient();

    /// <summary>A context of the test's own, on the stack's database, configured as the services' are.</summary>
    public WebhooksDbContext CreateDbContext() => new(WebhooksDatabase.ContextOptions(DataSource));

    /// <summary>Connections to the stack's database with the services' type mappings; opened only after the Api has
    /// migrated, so it knows the types the migrations create.</summary>
    public NpgsqlDataSource DataSource => _dataSource ??= WebhooksDatabase.CreateDataSource(_settings[$"ConnectionStrings:{ResourceNames.Database}"]!);

    /// <param name="settings">Overrides of the stack's settings for this Dispatcher only (another encryption key, say).</param>
    public void StartDispatcher(IDictionary<string, string?>? settings = null)
    {
        if (_dispatcher is not null) throw new InvalidOperationException("The Dispatcher is already running.");
        var dispatcher = Configure(new WebApplicationFactory<DispatcherEntryPoint>(), settings);
        try
        {
            _ = dispatcher.Services;
        }
        catch
        {
            dispatcher.Dispose();
            throw;
        }
        _dispatcher = dispatcher;
    }

    /// <summary>One more Api process on the stack's database and Redis, as a scaled-out deployment runs them; the
    /// caller disposes it. <paramref name="settings"/> override the stack's for this process only.</summary>
    public WebApplicationFactory<ApiEntryPoint> StartAnotherApi(IDictionary<string, string?>? settings = null)
    {
        var api = Configure(new WebApplicationFactory<ApiEntryPoint>(), settings);
        try
        {
            _ = api.Services;
        }
        catch
        {
            api.Dispose();
            throw;
        }
        return api;
    }

    /// <summary>Stops the Dispatcher as a host shutdown would (graceful); see the fault tests for kill -9.</summary>
    public async Task StopDispatcherAsync()
    {
        if (_dispatcher is null) return;
        await _dispatcher.DisposeAsync();
        _dispatcher = null;
    }

    private WebApplicationFactory<T> Configure<T>(WebApplicationFactory<T> factory, IDictionary<string, string?>? overrides = null) where T : class =>
        factory.WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in _settings) web.UseSetting(key, value);
            foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) web.UseSetting(key, value);
            web.ConfigureTestServices(services => _configureServices?.Invoke(services));
        });

    public async ValueTask DisposeAsync()
    {
        if (_dispatcher is not null) await _dispatcher.DisposeAsync();
        if (_api is not null) await _api.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        if (_dataSource is not null) await _dataSource.DisposeAsync();
    }
}
