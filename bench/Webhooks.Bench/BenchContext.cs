using System.Diagnostics;
using Npgsql;
using StackExchange.Redis;
using Webhooks.Bench.Hosting;
using Webhooks.Bench.Load;
using Webhooks.Bench.Receiving;
using Webhooks.Bench.Reporting;
using Webhooks.Bench.Setup;
using Webhooks.Bench.Tracing;
using Webhooks.Core.Options;
using Webhooks.Core.Queue;

namespace Webhooks.Bench;

/// <summary>What the scenarios share: the running app, the receiver, the database and Redis, and the report.</summary>
internal sealed class BenchContext(
    BenchOptions options,
    SystemUnderTest app,
    Receiver receiver,
    ProcessMonitor monitor,
    Tenancy tenancy,
    NpgsqlDataSource database,
    IConnectionMultiplexer redis,
    BenchReport report,
    OtlpReceiver? traces)
{
    /// <summary>How long a scenario waits for its queue to empty before it starts, when deliveries stop draining.</summary>
    private static readonly TimeSpan StalledAfter = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, (BenchTenant, Inbox)> _tenants = [];

    public BenchOptions Options { get; } = options;
    public SystemUnderTest App { get; } = app;
    public Receiver Receiver { get; } = receiver;
    public NpgsqlDataSource Database { get; } = database;
    public IConnectionMultiplexer Redis { get; } = redis;

    /// <summary>The app's schedule keys: the default <c>Webhooks:Redis:KeyPrefix</c>, which the bench leaves as it is.</summary>
    public static QueueKeys AppQueue { get; } = new(new RedisOptions().KeyPrefix);
    public BenchReport Report { get; } = report;

    /// <summary>The services' spans, with <c>--breakdown</c> (they export to the bench); null otherwise.</summary>
    public OtlpReceiver? Traces { get; } = traces;

    /// <summary>The raw limit, once the raw scenario has measured it.</summary>
    public LoadResult? RawFlatOut { get; set; }
    public LoadResult? RawPaced { get; set; }

    /// <summary>False once the warm-up saw no delivery arrive: then the delivery scenarios give up quickly.</summary>
    public bool DispatcherDelivers { get; set; } = true;

    public TimeSpan FirstDeliveryTimeout => DispatcherDelivers ? Options.FirstDeliveryTimeout : TimeSpan.FromSeconds(3);

    public string NoDeliveries(string label) =>
        $"no deliveries arrived within {FirstDeliveryTimeout.TotalSeconds:0} s (is the Dispatcher's delivery loop in this build?)";

    public HttpClient ApiClient(BenchTenant tenant, int connections) => Http.Create(App.ApiAddress, connections, tenant.ApiKey);

    /// <summary>A fresh tenant with <paramref name="webhooks"/> webhooks on <paramref name="path"/> of the receiver,
    /// all subscribed to the bench's event type (so each event makes that many deliveries).</summary>
    /// <remarks>Created once per name: scenarios that share a name share the tenant.</remarks>
    public async Task<(BenchTenant Tenant, Inbox Inbox)> TenantAsync(string name, string path, int webhooks, CancellationToken ct)
    {
        if (_tenants.TryGetValue(name, out var known)) return known;
        var tenant = await tenancy.CreateTenantAsync(name, ct);
        var inbox = Receiver.At(path);
        for (var i = 0; i < webhooks; i++) await tenancy.CreateWebhookAsync(tenant, inbox.Url, [Payloads.EventType], ct);
        return _tenants[name] = (tenant, inbox);
    }

    public CpuWindow MeasureCpu(string scenario) => new(monitor, cpu => Report.Cpu[scenario] = cpu);

    /// <summary>CPU seconds each process has used so far (for <see cref="PipelineCpu"/>).</summary>
    public IReadOnlyDictionary<string, double> CpuSecondsNow() => monitor.CpuSeconds();

    /// <summary>Waits until nothing is due, in flight or held under the in-flight caps in the real schedule, so one
    /// scenario's backlog does not load the next. Gives up (and says so) when the queue stops shrinking.</summary>
    /// <returns>How many deliveries were still due, in flight or held: 0 when the queue emptied.</returns>
    public async Task<long> QuietAsync(string label, CancellationToken ct)
    {
        var db = Redis.GetDatabase();
        var started = Stopwatch.GetTimestamp();
        var lastChange = started;
        long last = -1;
        while (!ct.IsCancellationRequested)
        {
            var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
            var pending = await db.SortedSetLengthAsync(AppQueue.Due, double.NegativeInfinity, now)
                + await db.SortedSetLengthAsync(AppQueue.InFlight)
                + await db.SortedSetLengthAsync(AppQueue.Held);
            if (pending == 0) return 0;
            if (pending != last) lastChange = Stopwatch.GetTimestamp();
            if (last == -1) ProgressLine.Say(label, $"waiting for the Dispatcher to empty the queue ({pending:N0} due, in flight or held)");
            last = pending;
            var stalled = Stopwatch.GetElapsedTime(lastChange) > StalledAfter || !DispatcherDelivers;
            if (stalled || Stopwatch.GetElapsedTime(started) > Options.DrainTimeout)
            {
                ProgressLine.Say(label, $"going on with {pending:N0} deliveries still due, in flight or held ({(stalled ? "the queue is not draining" : "drain timeout")})");
                return pending;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
        return last;
    }
}
