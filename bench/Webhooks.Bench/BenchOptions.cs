using Webhooks.Core.Options;

namespace Webhooks.Bench;

/// <summary>
/// Sizes of every scenario. The full run is what bench/README.md reports; <c>--quick</c> shrinks each scenario to a
/// smoke run of under two minutes in all. Every scenario is bounded in time and count, and sends only to 127.0.0.1.
/// </summary>
internal sealed record BenchOptions
{
    public static readonly string[] AllScenarios = ["raw", "scale", "latency", "retry", "dispatch", "ingest-single", "ingest-batch", "fairness", "dispatchers", "retention"];

    /// <summary>What <c>--caps off</c> sets: caps no tenant reaches in a bench run, i.e. the behaviour before them.</summary>
    public const int CapsOffPerWebhook = 10_000, CapsOffPerTenant = 100_000;

    public bool Quick { get; init; }
    public IReadOnlyList<string> Scenarios { get; init; } = AllScenarios;

    public int RawConcurrency { get; init; } = 32;
    public TimeSpan RawDuration { get; init; } = TimeSpan.FromSeconds(10);

    public int IngestConcurrency { get; init; } = 32;
    public TimeSpan IngestDuration { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>Webhooks subscribed to the ingested type: each accepted event writes this many deliveries.</summary>
    public int IngestFanOut { get; init; } = 1;
    public int BatchSize { get; init; } = 500;
    public int BatchConcurrency { get; init; } = 4;

    public int DispatchEvents { get; init; } = 20_000;
    public TimeSpan DispatchTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The latency scenario's rates, each run in turn (issue 17: low load is where most deployments live).</summary>
    public IReadOnlyList<int> LatencyRates { get; init; } = [20, 100, 500];
    /// <summary>How long each rate publishes; null: <see cref="DefaultLatencyDuration"/>.</summary>
    public TimeSpan? LatencyDuration { get; init; }

    /// <summary>Thirty seconds at 20/s (600 events, so the p99 rests on 6 rather than 3), twenty at the others
    /// (2,000 and 10,000 events): 70 s of publishing in all, which keeps a full run within ~8 minutes.</summary>
    public TimeSpan LatencyDurationAt(int rate) =>
        LatencyDuration ?? (Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(rate < 50 ? 30 : 20));

    /// <summary><c>--breakdown</c>: the services export their spans to the bench, which prints where each millisecond of
    /// a publish and its delivery goes (latency scenario only; the services then pay for the spans).</summary>
    public bool Breakdown { get; init; }

    /// <summary>1,500 so that the p99 rests on 15 retries rather than 5: with 500 it swung 13–37 ms between runs.</summary>
    public int RetryEvents { get; init; } = 1_500;
    public int RetryRate { get; init; } = 100;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public int ScaleScheduled { get; init; } = 1_000_000;
    public int ScaleDue { get; init; } = 200_000;
    public int ScaleRounds { get; init; } = 5;

    /// <summary>Noisy neighbour: each phase's length, the quiet tenant's rate, and the slow tenant's webhooks, rate and
    /// answer time. 2 webhooks × 50 events/s × 5 s is 500 requests open at once if nothing stops it: more than the
    /// Dispatcher's 256 send slots.</summary>
    public TimeSpan FairnessDuration { get; init; } = TimeSpan.FromSeconds(20);
    public int FairnessQuietRate { get; init; } = 50;
    public int FairnessSlowWebhooks { get; init; } = 2;
    public int FairnessSlowRate { get; init; } = 50;
    public TimeSpan FairnessSlowDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary><c>--caps off</c>: the app runs with caps so high they never bind, for the "before" figures.</summary>
    public bool FairnessCapsOff => Caps == (CapsOffPerWebhook, CapsOffPerTenant);

    /// <summary><c>--caps W/T</c> (or <c>off</c>): the in-flight caps the app runs with; null for the defaults.</summary>
    public (int PerWebhook, int PerTenant)? Caps { get; init; }

    /// <summary>The caps the app runs with, as the figures name them.</summary>
    public string CapsLabel
    {
        get
        {
            var (perWebhook, perTenant) = Caps ?? (new DeliveryOptions().MaxInFlightPerWebhook, new DeliveryOptions().MaxInFlightPerTenant);
            var which = Caps is null ? ", the defaults" : FairnessCapsOff ? ": off, as before the caps" : "";
            return $"caps {perWebhook}/webhook, {perTenant}/tenant{which}";
        }
    }

    /// <summary>Scale-out: the backlog each step of the dispatchers scenario drains, and the slow receiver's answer time.</summary>
    public int DispatchersEvents { get; init; } = 12_000;
    public TimeSpan DispatchersSlowDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Retention: expired deliveries seeded (each with its event and one attempt), and how long each phase publishes.</summary>
    public int RetentionDeliveries { get; init; } = 300_000;
    public TimeSpan RetentionPhase { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a scenario that waits for deliveries waits for the first one before it gives up.</summary>
    public TimeSpan FirstDeliveryTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How long to let the Dispatcher empty the queue between scenarios.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public static BenchOptions QuickPreset { get; } = new()
    {
        Quick = true,
        RawDuration = TimeSpan.FromSeconds(3),
        IngestDuration = TimeSpan.FromSeconds(5),
        DispatchEvents = 2_000,
        DispatchTimeout = TimeSpan.FromSeconds(30),
        RetryEvents = 100,
        RetryRate = 50,
        ScaleScheduled = 200_000,
        ScaleDue = 100_000,
        ScaleRounds = 3,
        FairnessDuration = TimeSpan.FromSeconds(8),
        DispatchersEvents = 2_000,
        RetentionDeliveries = 20_000,
        RetentionPhase = TimeSpan.FromSeconds(5),
        FirstDeliveryTimeout = TimeSpan.FromSeconds(8),
        DrainTimeout = TimeSpan.FromSeconds(30),
    };

    public const string Usage = """
        Usage: ./bench.sh [--quick] [--only raw,scale,latency,retry,dispatch,ingest-single,ingest-batch,fairness,dispatchers,retention]
                          [--caps off|W/T]
                          [--ingest-concurrency N] [--ingest-fanout N] [--ingest-seconds N] [--batch-size N]
                          [--dispatch-events N] [--latency-rates N,N] [--latency-seconds N] [--breakdown] [--retry-events N] [--scale-scheduled N]
          --quick   every scenario briefly (smoke run, < 2 min); figures are indicative only
          --only    run only the named scenarios, in the standard order
          --ingest-seconds  how long each ingest scenario publishes (default 20): longer leaves time to attach a profiler
          --latency-rates   the latency scenario's rates, events/s (default 20,100,500; with --breakdown 20,500)
          --latency-seconds how long the latency scenario publishes at each rate (default 30 at 20/s, else 20)
          --breakdown       the services export spans to the bench, which prints the latency breakdown (with --only latency)
          --retry-events    how many events the retry scenario publishes, at 100/s (default 1500)
          --caps off        run the app with in-flight caps so high they never bind (fairness "before" figures)
          --caps W/T        run the app with MaxInFlightPerWebhook W and MaxInFlightPerTenant T (to choose the defaults)
        """;

    /// <summary>Parses the command line; returns null (after printing why) when it is not understood.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var options = args.Contains("--quick") ? QuickPreset : new BenchOptions();
        var ratesGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--quick") continue;
            if (arg == "--breakdown")
            {
                options = options with { Breakdown = true, LatencyRates = ratesGiven ? options.LatencyRates : [20, 500] };
                continue;
            }
            if (arg is "-h" or "--help") return Fail(null);
            if (i + 1 >= args.Length) return Fail($"{arg} needs a value.");
            var value = args[++i];
            switch (arg)
            {
                case "--only":
                    var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var unknown = names.Except(AllScenarios).ToList();
                    if (unknown.Count > 0) return Fail($"Unknown scenario(s): {string.Join(", ", unknown)}.");
                    options = options with { Scenarios = AllScenarios.Where(names.Contains).ToArray() };
                    break;
                case "--ingest-concurrency" when Positive(value, out var n): options = options with { IngestConcurrency = n }; break;
                case "--ingest-fanout" when int.TryParse(value, out var n) && n >= 0: options = options with { IngestFanOut = n }; break;
                case "--ingest-seconds" when Positive(value, out var n): options = options with { IngestDuration = TimeSpan.FromSeconds(n) }; break;
                case "--batch-size" when Positive(value, out var n) && n <= 1000: options = options with { BatchSize = n }; break;
                case "--dispatch-events" when Positive(value, out var n): options = options with { DispatchEvents = n }; break;
                case "--latency-rate" or "--latency-rates" when Rates(value) is { } rates:
                    options = options with { LatencyRates = rates };
                    ratesGiven = true;
                    break;
                case "--retry-events" when Positive(value, out var n): options = options with { RetryEvents = n }; break;
                case "--latency-seconds" when Positive(value, out var n): options = options with { LatencyDuration = TimeSpan.FromSeconds(n) }; break;
                case "--caps" when value is "on" or "off":
                    options = options with { Caps = value == "off" ? (CapsOffPerWebhook, CapsOffPerTenant) : null };
                    break;
                case "--caps" when value.Split('/') is [var w, var t] && Positive(w, out var perWebhook) && Positive(t, out var perTenant):
                    options = options with { Caps = (perWebhook, perTenant) };
                    break;
                case "--scale-scheduled" when Positive(value, out var n): options = options with { ScaleScheduled = n }; break;
                default: return Fail($"Not understood: {arg} {value}.");
            }
        }
        return options;
    }

    private static bool Positive(string value, out int n) => int.TryParse(value, out n) && n > 0;

    private static int[]? Rates(string value)
    {
        var rates = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => Positive(r, out var n) ? n : 0).ToArray();
        return rates.Length > 0 && rates.All(r => r > 0) ? rates : null;
    }

    private static BenchOptions? Fail(string? reason)
    {
        if (reason is not null) Console.Error.WriteLine(reason);
        Console.Error.WriteLine(Usage);
        return null;
    }
}
