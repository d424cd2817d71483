using Npgsql;
using StackExchange.Redis;
using Webhooks.Bench;
using Webhooks.Bench.Hosting;
using Webhooks.Bench.Load;
using Webhooks.Bench.Receiving;
using Webhooks.Bench.Reporting;
using Webhooks.Bench.Scenarios;
using Webhooks.Bench.Setup;
using Webhooks.Bench.Tracing;

if (args is [ReceiverProcess.Argument]) return await ReceiverProcess.RunAsync();
var options = BenchOptions.Parse(args);
if (options is null) return 2;
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // stop scenarios, then shut the app down properly rather than leave its processes behind
    cancel.Cancel();
};
var ct = cancel.Token;
var command = Environment.GetEnvironmentVariable("WEBHOOKS_BENCH_COMMAND") ?? $"dotnet Webhooks.Bench.dll {string.Join(' ', args)}".TrimEnd();
var startedAt = TimeProvider.System.GetUtcNow();
var machine = Machine.Describe();
var root = Repository.Root();

ProgressLine.Say("setup", $"{(options.Quick ? "quick" : "full")} run: starting Postgres, Redis, Api and Dispatcher through the AppHost");
await using var receiver = await Receiver.StartAsync();
await using var monitor = ProcessMonitor.Start();
await using var traces = options.Breakdown ? await OtlpReceiver.StartAsync() : null;
using var serviceLog = new ServiceLogFile(Path.Combine(root, "bench", "results", $"{startedAt:yyyyMMdd-HHmmss}-services.log"));
await using var app = await SystemUnderTest.StartAsync(options, serviceLog, traces?.Endpoint, ct);
await using var database = NpgsqlDataSource.Create(app.DatabaseConnectionString);
await using var redis = await ConnectionMultiplexer.ConnectAsync(app.RedisConnectionString);
using var tenancy = new Tenancy(app);
var report = new BenchReport();
var context = new BenchContext(options, app, receiver, monitor, tenancy, database, redis, report, traces);
ProgressLine.Say("setup", $"app up after {(TimeProvider.System.GetUtcNow() - startedAt).TotalSeconds:0} s; api at {app.ApiAddress}");
foreach (var (process, description) in monitor.Describe()) ProgressLine.Say("setup", $"{process,-10} {description}");

IScenario[] all = [new RawLimitScenario(), new ScaleScenario(), new LatencyScenario(), new RetryScenario(), new DispatchScenario(),
    new IngestScenario(batch: false), new IngestScenario(batch: true), new FairnessScenario(), new DispatchersScenario(),
    new RetentionScenario()];
var selected = all.Where(s => options.Scenarios.Contains(s.Name)).ToList();
try
{
    if (selected.Any(s => s is not (RawLimitScenario or ScaleScenario))) await WarmUp.RunAsync(context, ct);
    foreach (var scenario in selected)
    {
        ProgressLine.Say(scenario.Name, "starting");
        try
        {
            await scenario.RunAsync(context, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ProgressLine.Say(scenario.Name, $"failed: {e}");
            report.Add(new Figure(scenario.Name, scenario.Name, $"failed: {e.Message}", Figure.None, Figure.None, null));
        }
    }
}
catch (OperationCanceledException)
{
    report.Note("Interrupted: only the scenarios that finished are reported.");
}

var peakMemory = monitor.PeakMemoryBytes();
var dispatcherMemory = peakMemory.GetValueOrDefault("dispatcher") / 1024.0 / 1024.0;
report.Add(new Figure("processes", "Dispatcher peak memory (VmHWM)", $"{dispatcherMemory:N0} MB", "≤ 300 MB", Figure.None,
    report.Cpu.Keys.Any(k => k is "dispatch" or "latency" or "retry") && context.DispatcherDelivers ? dispatcherMemory <= 300 : null));

var run = new RunRecord(command, Repository.Commit(root), startedAt, options.Quick, machine, Machine.LoadAverageNow(),
    SystemUnderTest.Settings(options), options, report.Figures, report.Details, report.Cpu, peakMemory, monitor.Describe(), report.Notes, report.Sections);
Console.WriteLine(MarkdownReport.Render(run));
ProgressLine.Say("done", $"JSON: {await run.WriteAsync(root)}; the services' logs: {serviceLog.Path}; stopping the app");
return 0;
