namespace Webhooks.Bench.Reporting;

/// <summary>
/// Pipeline CPU per event (issue 17): the CPU time the Api, the Dispatcher, Postgres and Redis used between two readings
/// of /proc (see <see cref="Hosting.ProcessMonitor"/>), over the events published and delivered in between. Steadier
/// than events/s on a shared box, since it does not count time spent waiting for cores others hold; /proc counts in
/// 10 ms ticks, so a window must hold a few hundred ms of CPU to mean much.
/// </summary>
internal sealed record PipelineCpu(long Events, IReadOnlyDictionary<string, double> MsPerEvent)
{
    /// <summary>Of <see cref="Total"/>, what the four processes use with no load at all over as long a window (timers,
    /// health probes, the delivery loop's look every second), spread over the events; null when not measured. It
    /// matters at low rates: at 20 events/s a few percent of a core idle is several ms per event.</summary>
    public double? IdleMs { get; init; }

    public static readonly string[] Processes = ["api", "dispatcher", "postgres", "redis"];
    public const string Target = "≤ 0.45 ms";

    public double Total => MsPerEvent.Values.Sum();

    public static PipelineCpu Between(IReadOnlyDictionary<string, double> start, IReadOnlyDictionary<string, double> end, long events) =>
        new(events, Processes.ToDictionary(p => p,
            p => events == 0 ? double.NaN : 1000 * (end.GetValueOrDefault(p) - start.GetValueOrDefault(p)) / events));

    /// <param name="idleCoresUsed">The four processes' CPU seconds per second with no load (<see cref="IdleCoresUsed"/>).</param>
    /// <param name="seconds">How long the measured window was.</param>
    public PipelineCpu WithIdle(double idleCoresUsed, double seconds) =>
        this with { IdleMs = Events == 0 ? null : 1000 * idleCoresUsed * seconds / Events };

    /// <summary>Between two readings taken <paramref name="seconds"/> apart with no load: the four processes' CPU
    /// seconds per second.</summary>
    public static double IdleCoresUsed(IReadOnlyDictionary<string, double> start, IReadOnlyDictionary<string, double> end, double seconds) =>
        Processes.Sum(p => end.GetValueOrDefault(p) - start.GetValueOrDefault(p)) / seconds;

    /// <param name="what">What was published, e.g. "latency at 20 events/s".</param>
    public Figure Row(string scenario, string what, string? caveat = null) => new(scenario,
        $"Pipeline CPU per event, {what} (Api + Dispatcher + Postgres + Redis)",
        Events == 0 ? "no events" : $"{Total:0.00} ms (api {MsPerEvent["api"]:0.00}, dispatcher {MsPerEvent["dispatcher"]:0.00}, "
            + $"postgres {MsPerEvent["postgres"]:0.00}, redis {MsPerEvent["redis"]:0.00}; {Events:N0} events"
            + (IdleMs is { } idle ? $"; idle work {idle:0.00} ms of it" : "") + $"{caveat})",
        Target, Figure.None, Events == 0 ? null : Total <= 0.45);

    /// <summary>The numbers, for the JSON file.</summary>
    public object Summary => new { events = Events, totalMs = Total, msPerEvent = MsPerEvent, idleMs = IdleMs };
}
