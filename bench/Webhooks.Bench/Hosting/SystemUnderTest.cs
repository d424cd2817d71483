using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Webhooks.Core;

namespace Webhooks.Bench.Hosting;

/// <summary>
/// The whole app as the real AppHost runs it: Postgres, Redis, Api and Dispatcher as separate processes (the projects
/// built in the configuration this bench was built in, Release through ./bench.sh).
/// </summary>
internal sealed class SystemUnderTest : IAsyncDisposable
{
    public const string AdminApiKey = "bench-admin-key-0123456789abcdef0123456789";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly DistributedApplication _app;

    private SystemUnderTest(DistributedApplication app, Uri api, string database, string redis)
    {
        _app = app;
        ApiAddress = api;
        DatabaseConnectionString = database;
        RedisConnectionString = redis;
    }

    public Uri ApiAddress { get; }
    public string DatabaseConnectionString { get; }
    public string RedisConnectionString { get; }

    /// <summary>Settings every scenario relies on; they reach both services through the AppHost's <c>Webhooks:*</c> pass-through.</summary>
    public static IReadOnlyList<string> Settings(BenchOptions options) =>
    [
        "--AppHost:Demo=false", // no demo traffic beside the measured load
        "--AppHost:Portal=false", // nor a portal process sharing the cores
        "--Webhooks:Delivery:AllowPrivateNetworks=true", // the receiver is on 127.0.0.1
        $"--Webhooks:Delivery:RetrySchedule:0={options.RetryDelay:c}", // one short retry, for retry punctuality
        // The retry scenario fails first attempts in a row on purpose; alerts and auto-disable would stop it.
        "--Webhooks:Alerts:Thresholds:0=1000000",
        "--Webhooks:Alerts:DisableAfter=1000000",
        // One tenant publishes flat out: the limit is raised out of reach, but its check still runs on every publish.
        "--Webhooks:Limits:PublishPerSecondPerTenant=1000000",
        .. options.Caps is var (perWebhook, perTenant)
            ? (string[])[$"--Webhooks:Delivery:MaxInFlightPerWebhook={perWebhook}", $"--Webhooks:Delivery:MaxInFlightPerTenant={perTenant}"]
            : [],
    ];

    /// <param name="spansTo">With <c>--breakdown</c>: the bench's OTLP receiver, where the services export their spans.</param>
    public static async Task<SystemUnderTest> StartAsync(BenchOptions options, ServiceLogFile serviceLog, Uri? spansTo, CancellationToken ct)
    {
        var secretsKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        string[] args =
        [
            $"--Parameters:admin-api-key={AdminApiKey}",
            $"--Parameters:secrets-encryption-key={secretsKey}",
            .. Settings(options),
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Webhooks_AppHost>(args, ct);
        builder.Services.AddLogging(logging =>
        {
            logging.AddProvider(serviceLog);
            logging.AddFilter<ServiceLogFile>((category, _) => category?.StartsWith(ServiceLogFile.Category, StringComparison.Ordinal) == true);
            // The console keeps the progress lines readable: problems of the host only, not the services' chatter or the
            // health checks that fail, as expected, until each service is up.
            logging.AddFilter<ConsoleLoggerProvider>((category, level) => level >= LogLevel.Warning
                && category?.StartsWith(ServiceLogFile.Category, StringComparison.Ordinal) != true
                && category?.StartsWith("Microsoft.Extensions.Diagnostics.HealthChecks", StringComparison.Ordinal) != true
                && category != "Aspire.Hosting.Dcp.DcpHost"); // "no trusted development certificate": nothing here uses https
        });

        var apiPort = FreePort();
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            var resource = builder.CreateResourceBuilder(project);
            // No dashboard listens: exporting telemetry would only retry into the void (and slow shutdown), and without
            // an exporter the services record no spans at all (see ServiceDefaults). With --breakdown they export to the
            // bench instead, in batches every half second, and a queue big enough that 500 events/s drop no span (nor link).
            resource.WithEnvironment(context =>
            {
                foreach (var key in context.EnvironmentVariables.Keys.Where(k => k.StartsWith("OTEL_EXPORTER_OTLP", StringComparison.Ordinal)).ToList())
                    context.EnvironmentVariables.Remove(key);
                if (spansTo is null) return;
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_ENDPOINT"] = spansTo.ToString().TrimEnd('/');
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                context.EnvironmentVariables["OTEL_BSP_SCHEDULE_DELAY"] = "500";
                context.EnvironmentVariables["OTEL_BSP_MAX_QUEUE_SIZE"] = "262144";
                context.EnvironmentVariables["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "8192";
                context.EnvironmentVariables["OTEL_METRIC_EXPORT_INTERVAL"] = "60000";
                // A group write links to every request it carries (up to 1,000); the SDK keeps 128 links by default.
                context.EnvironmentVariables["OTEL_SPAN_LINK_COUNT_LIMIT"] = "1024";
            });
            // As the ASP.NET Core template's appsettings.json: one log line per request or per SQL command would
            // measure the console, not the service.
            resource.WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore", "Warning");
            resource.WithEnvironment("Logging__LogLevel__Microsoft.EntityFrameworkCore", "Warning");
            // The load goes straight to the Api's Kestrel, not through DCP's proxy, which would add a hop and its CPU.
            if (project.Name == ResourceNames.Api)
                resource.WithEndpoint("http", e => { e.IsProxied = false; e.Port = apiPort; e.TargetPort = apiPort; });
        }

        var app = await builder.BuildAsync(ct);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(StartTimeout);
            await app.StartAsync(timeout.Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Api, timeout.Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Dispatcher, timeout.Token);
            var database = await app.GetConnectionStringAsync(ResourceNames.Database, timeout.Token)
                ?? throw new InvalidOperationException($"No {ResourceNames.Database} connection string.");
            var redis = await app.GetConnectionStringAsync(ResourceNames.Redis, timeout.Token)
                ?? throw new InvalidOperationException($"No {ResourceNames.Redis} connection string.");
            return new SystemUnderTest(app, app.GetEndpoint(ResourceNames.Api, "http"), database, redis);
        }
        catch
        {
            await StopAsync(app);
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task StopAsync(DistributedApplication app)
    {
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("The app did not stop within 30 s; disposing it anyway.");
        }
        await app.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync(_app);
}
