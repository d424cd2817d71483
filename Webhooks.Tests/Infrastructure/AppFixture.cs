using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core;

namespace Webhooks.Tests.Infrastructure;

/// <summary>
/// The whole app as the AppHost runs it (Postgres, Redis, Api, Dispatcher), started once per test collection.
/// The retry schedule is shrunk through configuration, and the OTLP exporter variables are stripped so that
/// shutdown does not wait on a dashboard that does not exist in tests.
/// </summary>
public class AppFixture : IAsyncLifetime
{
    public const string AdminApiKey = "whole-app-admin-key-0123456789abcdef";
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    /// <summary>More AppHost arguments (settings) for a fixture of another kind.</summary>
    protected virtual ValueTask<IEnumerable<string>> MoreArgumentsAsync() => ValueTask.FromResult(Enumerable.Empty<string>());

    public async ValueTask InitializeAsync()
    {
        var more = await MoreArgumentsAsync();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Webhooks_AppHost>(
        [
            $"--Parameters:admin-api-key={AdminApiKey}",
            "--AppHost:Demo=false", // the demo's traffic would mix with the tests' (the demo has a test of its own)
            "--AppHost:Portal=true", // the portal's browser tests drive this app's portal
            "--Webhooks:Delivery:AllowPrivateNetworks=true",
            "--Webhooks:Delivery:RetrySchedule:0=00:00:00.200",
            "--Webhooks:Delivery:RetrySchedule:1=00:00:00.400",
            "--Webhooks:Delivery:RetrySchedule:2=00:00:00.600",
            "--Webhooks:Delivery:RetrySchedule:3=00:00:00.800",
            "--Webhooks:Delivery:RetrySchedule:4=00:00:01",
            "--Webhooks:Delivery:RequestTimeout=00:00:02",
            "--Webhooks:Reconciler:Interval=00:00:01",
            .. more, // last, so a fixture of another kind can override the settings above
        ], TestContext.Current.CancellationToken);

        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context =>
            {
                foreach (var key in context.EnvironmentVariables.Keys.Where(k => k.StartsWith("OTEL_EXPORTER_OTLP", StringComparison.Ordinal)).ToList())
                    context.EnvironmentVariables.Remove(key);
            });
        }

        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        _app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TestTimeouts.AppStart);
        await _app.StartAsync(cts.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Api, cts.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Dispatcher, cts.Token);
    }

    /// <summary>A client for the Api resolved through service discovery, authenticated with <paramref name="apiKey"/>.</summary>
    public HttpClient CreateApiClient(string? apiKey = null)
    {
        var client = App.CreateHttpClient(ResourceNames.Api);
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    /// <summary>A client with no resilience pipeline: fault tests must see each answer the Api gives, and the default
    /// pipeline's circuit breaker would, after a run of expected 503s, refuse to send the request that shows recovery.</summary>
    public HttpClient CreatePlainApiClient(string apiKey)
    {
        var client = new HttpClient { BaseAddress = App.GetEndpoint(ResourceNames.Api, "http") };
        client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    /// <summary>Runs a dashboard command (<c>resource-stop</c>, <c>resource-start</c>, <c>resource-restart</c>) on a resource.</summary>
    public async Task CommandAsync(string resource, string command)
    {
        var result = await App.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(resource, command, TestContext.Current.CancellationToken);
        if (!result.Success) throw new InvalidOperationException($"{command} on {resource} failed: {result.Message}");
    }

    /// <summary>The OS process id of a running project or executable resource.</summary>
    public async Task<int> ProcessIdAsync(string resource)
    {
        var running = await WaitForSnapshotAsync(resource,
            s => s.State?.Text == KnownResourceStates.Running && s.Properties.Any(p => p.Name == "executable.pid" && p.Value is not null),
            TestTimeouts.Condition);
        return Convert.ToInt32(running.Snapshot.Properties.First(p => p.Name == "executable.pid").Value);
    }

    /// <summary>Stops a resource and waits until its process is gone (its port free), then starts it and waits until healthy.</summary>
    public async Task RestartAsync(string resource)
    {
        await CommandAsync(resource, "resource-stop");
        await WaitStoppedAsync(resource);
        // REVIEW: a local redis-server restarted at once sometimes exits at start (its fixed port still held by the
        // process DCP just stopped); the harness retries the start, which is what an operator would do.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync(resource);
                return;
            }
            catch (DistributedApplicationException) when (attempt < 5)
            {
                await WaitStoppedAsync(resource);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), TestContext.Current.CancellationToken);
            }
        }
    }

    /// <summary>Starts a stopped resource and waits until its new process is healthy.</summary>
    public async Task StartAsync(string resource)
    {
        await CommandAsync(resource, "resource-start");
        // The command returns before the orchestrator reports the new process, so for a moment the snapshot still
        // reads the old process's "Exited", and a health wait takes that for a failed start: CI failed a SIGKILL test
        // so, on a busy box. The resource was stopped, so a "Running" seen from here on is the new process.
        await WaitForSnapshotAsync(resource,
            s => s.State?.Text is { } state && (state == KnownResourceStates.Running || state == KnownResourceStates.FailedToStart),
            TestTimeouts.AppStart);
        await WaitHealthyAsync(resource);
    }

    /// <summary>Waits until the orchestrator has seen the resource's process end.</summary>
    public Task WaitStoppedAsync(string resource) =>
        WaitForSnapshotAsync(resource,
            s => s.State?.Text is { } state && state != KnownResourceStates.Running && state != KnownResourceStates.Starting
                 && state != KnownResourceStates.Stopping,
            TestTimeouts.Condition);

    /// <summary>Waits, until <paramref name="deadline"/>, for the orchestrator to report a snapshot of the resource that
    /// <paramref name="matches"/> (the current one counts).</summary>
    private async Task<ResourceEvent> WaitForSnapshotAsync(string resource, Func<CustomResourceSnapshot, bool> matches, TimeSpan deadline)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(deadline);
        return await App.ResourceNotifications.WaitForResourceAsync(resource, e => matches(e.Snapshot), cts.Token);
    }

    /// <summary>kill -9: the process gets no chance to finish what it was doing.</summary>
    public async Task KillAsync(string resource)
    {
        var pid = await ProcessIdAsync(resource);
        // The whole tree: a project runs as `dotnet run` with the service as its child.
        System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
        await Eventually.True(() => Task.FromResult(!IsAlive(pid)), $"{resource} (pid {pid}) to die");
    }

    public async Task WaitHealthyAsync(string resource)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TestTimeouts.AppStart);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The whole app on a Redis Cluster of its own, given to the AppHost (and so to both services) as nothing but
/// the cluster's node list in <c>ConnectionStrings:redis</c>: the AppHost then runs no Redis.</summary>
public sealed class ClusterAppFixture : AppFixture
{
    public const int Replicas = 2;
    private LocalRedisCluster? _cluster;

    public LocalRedisCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    protected override async ValueTask<IEnumerable<string>> MoreArgumentsAsync()
    {
        _cluster = await LocalRedisCluster.StartAsync(TestContext.Current.CancellationToken);
        return
        [
            $"--ConnectionStrings:{ResourceNames.Redis}={_cluster.ConnectionString}",
            // Scaled out as an operator would (README "Running at scale"): two of each service, as Aspire replicas.
            $"--AppHost:ApiReplicas={Replicas}",
            $"--AppHost:DispatcherReplicas={Replicas}",
            "--AppHost:Portal=false",
            // Four service processes on a shared box: a send slower than the usual 2 s is load, not a failing receiver.
            "--Webhooks:Delivery:RequestTimeout=00:00:10",
        ];
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterAppCollection : ICollectionFixture<ClusterAppFixture>
{
    public const string Name = "Whole app on a Redis Cluster";
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "Whole app";
}

/// <summary>A whole app of its own for tests that kill and restart its processes.</summary>
[CollectionDefinition(Name)]
public sealed class FaultsCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "Faults";
}
