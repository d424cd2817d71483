using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Webhooks.Core;

namespace Webhooks.Tests.Infrastructure;

/// <summary>
/// Api and Dispatcher processes of their own (<see cref="ServiceProcess"/>: <c>dotnet Webhooks.X.dll</c>, configured
/// through environment variables as an orchestrator would) on the fixture's Postgres and Redis, with a database and a
/// Redis key prefix no other test uses. For whole-app tests that need settings of their own (small caps, a low rate
/// limit), which the AppHost fixture shared by the "Whole app" collection cannot take.
/// </summary>
public sealed class ProcessStack : IAsyncDisposable
{
    public const string AdminApiKey = "process-admin-key-0123456789abcdef";
    private readonly List<ServiceProcess> _processes = [];

    private ProcessStack(IReadOnlyList<ServiceProcess> apis, IReadOnlyList<ServiceProcess> dispatchers)
    {
        Apis = apis;
        Dispatchers = dispatchers;
        _processes.AddRange([.. apis, .. dispatchers]);
    }

    public IReadOnlyList<ServiceProcess> Apis { get; }
    public IReadOnlyList<ServiceProcess> Dispatchers { get; }

    /// <param name="settings">Configuration keys as in appsettings (<c>Webhooks:Delivery:MaxConcurrency</c>), over the
    /// stack's own (connection strings, admin key, private networks allowed, logs at Warning).</param>
    public static async Task<ProcessStack> StartAsync(InfrastructureFixture infrastructure, IReadOnlyDictionary<string, string>? settings = null,
        int apis = 1, int dispatchers = 1)
    {
        var (database, keyPrefix) = infrastructure.NextStack();
        var configuration = new Dictionary<string, string>
        {
            [$"ConnectionStrings:{ResourceNames.Database}"] = infrastructure.DatabaseConnectionString(database),
            [$"ConnectionStrings:{ResourceNames.Redis}"] = infrastructure.RedisConnectionString,
            ["Webhooks:Redis:KeyPrefix"] = keyPrefix,
            ["Webhooks:AdminApiKey"] = AdminApiKey,
            ["Webhooks:Secrets:EncryptionKey"] = TestStack.EncryptionKey,
            ["Webhooks:Delivery:AllowPrivateNetworks"] = "true",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) configuration[key] = value;
        var environment = configuration.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);

        var stack = new ProcessStack(
            Enumerable.Range(1, apis).Select(n => ServiceProcess.Create($"api-{n}", "Webhooks.Api", environment)).ToList(),
            Enumerable.Range(1, dispatchers).Select(n => ServiceProcess.Create($"dispatcher-{n}", "Webhooks.Dispatcher", environment)).ToList());
        try
        {
            // The first Api migrates the new database; the others start once it has.
            stack.Apis[0].Start();
            await stack.Apis[0].WaitHealthyAsync();
            var rest = stack._processes.Skip(1).ToList();
            foreach (var process in rest) process.Start();
            foreach (var process in rest) await process.WaitHealthyAsync();
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client of one Api process, with <paramref name="apiKey"/> as its bearer key when given.</summary>
    public HttpClient CreateApiClient(string? apiKey = null, int api = 0)
    {
        var client = new HttpClient { BaseAddress = Apis[api].BaseAddress };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    /// <summary>Creates a tenant through the admin API and returns its owner's key.</summary>
    public async Task<string> NewTenantAsync(string name)
    {
        using var admin = CreateApiClient(AdminApiKey);
        var response = await admin.PostAsJsonAsync("/v1/tenants",
            new { name, owner = new { email = $"owner-{Guid.NewGuid():N}@example.com", name = "Owner" } }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken))!["apiKey"]!;
    }

    /// <summary>Creates a webhook of the tenant whose key <paramref name="tenant"/> holds, and returns its id.</summary>
    public static async Task<Guid> NewWebhookAsync(HttpClient tenant, string url, params string[] events)
    {
        var response = await tenant.PostAsJsonAsync("/v1/webhooks", new { url, events }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Guid.Parse((string)(await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken))!["id"]!);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
    }
}
