using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Core;
using Webhooks.Tests.Infrastructure;
using Webhooks.Tests.Security;

namespace Webhooks.Tests.EndToEnd;

/// <summary>The AppHost with its demo on, as <c>./run.sh</c> starts it: the simulator's events reach the demo receiver
/// with valid signatures, the failing endpoint fails, and no resource logs an error.</summary>
[Collection(DemoCollection.Name)]
public sealed partial class DemoTests
{
    private sealed record EndpointStats(int Accepted, int Duplicates, int FailedOnPurpose, int Rejected);

    [GeneratedRegex(@"\b(fail|crit): ")]
    private static partial Regex ErrorLevel();

    [Fact]
    public async Task The_simulators_deliveries_succeed_at_the_receiver_and_no_resource_logs_an_error()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Webhooks_AppHost>(
        [
            "--Parameters:admin-api-key=demo-test-admin-key-0123456789abcdef",
            "--AppHost:Demo=true",
            "--Webhooks:Delivery:AllowPrivateNetworks=true", // the receiver is on this machine
        ], ct);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context =>
            {
                foreach (var key in context.EnvironmentVariables.Keys.Where(k => k.StartsWith("OTEL_EXPORTER_OTLP", StringComparison.Ordinal)).ToList())
                    context.EnvironmentVariables.Remove(key);
            });
        }
        var projects = builder.Resources.OfType<ProjectResource>().Select(p => p.Name).ToList();
        Assert.Contains(ResourceNames.PosSimulator, projects);
        Assert.Contains(ResourceNames.DemoReceiver, projects);

        // Aspire.Hosting.Testing forwards each resource's console to the host's loggers ({app}.Resources.{name}): a
        // project's Error-level log arrives as a "fail:" line, anything it writes to stderr at Error level.
        var logs = new CapturedLogs();
        builder.Services.AddLogging(logging => logging.AddProvider(logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));
        await using var app = await builder.BuildAsync(ct);

        using var start = CancellationTokenSource.CreateLinkedTokenSource(ct);
        start.CancelAfter(TestTimeouts.AppStart);
        await app.StartAsync(start.Token);
        foreach (var name in projects)
        {
            // Each resource gets the whole start-up allowance: four projects start here, some waiting on others, while
            // other test collections start apps of their own on the same 2-core box.
            using var healthy = CancellationTokenSource.CreateLinkedTokenSource(ct);
            healthy.CancelAfter(TestTimeouts.AppStart);
            try
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, healthy.Token);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                var tail = logs.Entries.Where(l => l.Contains($".Resources.{name} ")).TakeLast(40);
                throw new TimeoutException($"{name} did not become healthy; its last log lines:\n{string.Join("\n", tail)}", e);
            }
        }

        using var receiver = app.CreateHttpClient(ResourceNames.DemoReceiver);
        var stats = await Eventually.Get(
            async () => await receiver.GetFromJsonAsync<Dictionary<string, EndpointStats>>("/stats", ct) ?? [],
            s => s.TryGetValue("backoffice", out var backoffice) && backoffice.Accepted >= 5
                 && s.TryGetValue("legacy-erp", out var down) && down.FailedOnPurpose >= 3,
            "the demo receiver to accept 5 deliveries and the failing endpoint to fail 3", TimeSpan.FromSeconds(90));

        Assert.All(stats, s => Assert.True(s.Value.Rejected == 0, $"{s.Key} refused {s.Value.Rejected} deliveries: a signature did not verify"));
        Assert.Equal(0, stats["legacy-erp"].Accepted);

        var lines = logs.Entries.Where(e => projects.Any(p => e.StartsWith($"{builder.Environment.ApplicationName}.Resources.{p} ", StringComparison.Ordinal)))
            .ToList();
        Assert.Contains(lines, l => l.Contains("Resources.pos-simulator ") && l.Contains("Published sale.created")); // the logs were read at all
        var errors = lines.Where(l => ErrorLevel().IsMatch(l) || l.Contains(" Error: ") || l.Contains(" Critical: ")).ToList();
        Assert.True(errors.Count == 0, "Error-level logs:\n" + string.Join("\n", errors));
    }
}

/// <summary>Runs alone, after the parallel collections: a fourth whole app beside theirs made the 2-core box slow enough
/// for their fault tests' deadlines (and this test's start-up) to run out.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DemoCollection
{
    public const string Name = "Demo";
}
