using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Webhooks.Core.Data;

namespace Webhooks.Tests.Infrastructure;

/// <summary>
/// The Api and the Dispatcher running in the test process against the fixture's real Postgres and Redis, each stack
/// with its own database and Redis database. Tests may change settings and swap services (a FakeTimeProvider, say).
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

    private TestStack(InfrastructureFixture infrastructure, IDictionary<string, string?>? settings, Action<IServiceCollection>? configureServices)
    {
        _infrastructure = infrastructure;
        (DatabaseName, RedisDatabase) = infrastructure.NextStack();
        _configureServices = configureServices;
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:webhooksdb"] = infrastructure.DatabaseConnectionString(DatabaseName),
            ["ConnectionStrings:redis"] = infrastructure.RedisConnectionStringFor(RedisDatabase),
            ["Webhooks:AdminApiKey"] = AdminApiKey,
            ["Webhooks:Secrets:EncryptionKey"] = EncryptionKey,
            ["Webhooks:Delivery:AllowPrivateNetworks"] = "true",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) _settings[key] = value;
    }

    public string DatabaseName { get; }
    /// <summary>The settings both services start with (connection strings included), e.g. for a process of the Api run by hand.</summary>
    public IReadOnlyDictionary<string, string?> Settings => _settings;
    public int RedisDatabase { get; }

    /// <summary>Starts the Api (which migrates the new database), then the Dispatcher unless <paramref name="withDispatcher"/> is false.</summary>
    public static async Task<TestStack> StartAsync(InfrastructureFixture infrastructure,
        IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null, bool withDispatcher = true)
    {
        var stack = new TestStack(infrastructure, settings, configureServices);
        // Redis database indexes are reused across stacks: start from an empty schedule.
        stack._redis = await ConnectionMultiplexer.ConnectAsync(stack._settings["ConnectionStrings:redis"] + ",allowAdmin=true");
        await stack.RedisServer.FlushDatabaseAsync(stack.RedisDatabase);
        stack._api = stack.Configure(new WebApplicationFactory<ApiEntryPoint>());
        _ = stack._api.Services; // starts the host: migrations run here
        if (withDispatcher) stack.StartDispatcher();
        return stack;
    }

    public IServiceProvider ApiServices => _api!.Services;
    public IServiceProvider DispatcherServices => _dispatcher?.Services ?? throw new InvalidOperationException("No Dispatcher in this stack.");
    public IDatabase Redis => _redis!.GetDatabase(RedisDatabase);
    /// <summary>A connection whose default database is this stack's, e.g. to build a <c>DeliveryQueue</c>.</summary>
    public IConnectionMultiplexer RedisMultiplexer => _redis!;
    public IServer RedisServer => _redis!.GetServers()[0];

    /// <summary>An Api client with no credentials.</summary>
    public HttpClient CreateClient() => _api!.CreateClient();

    public HttpClient CreateClient(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    public HttpClient CreateAdminClient() => CreateClient(AdminApiKey);

    public WebhooksDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<WebhooksDbContext>()
            .UseNpgsql(_settings["ConnectionStrings:webhooksdb"])
            .UseSnakeCaseNamingConvention()
            .Options);

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
    }
}
