namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Delivery</c>: how the Dispatcher sends and retries.</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Webhooks:Delivery";

    public static readonly TimeSpan[] DefaultRetrySchedule =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(4),
    ];

    /// <summary>Delay before each retry (default 1 min, 5 min, 15 min, 1 h, 4 h); after the last the delivery is failed.
    /// Each 1 ms – 7 days. Left empty in configuration, the default applies.</summary>
    public TimeSpan[] RetrySchedule { get; set; } = [];

    /// <summary>Per attempt, 1 s – 5 min (default 30 s); tests may go as low as 10 ms.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Response body kept per attempt, 0 – 1 MiB (default 10 KiB); the rest is never read.</summary>
    public int MaxResponseBodyBytes { get; set; } = 10 * 1024;

    /// <summary>Attempts in flight per Dispatcher, 1 – 10 000 (default 256: enough that a few hanging endpoints
    /// cannot starve the rest, and measured in bench/ to saturate two cores).</summary>
    public int MaxConcurrency { get; set; } = 256;

    /// <summary>Attempts in flight to one webhook, across all Dispatchers together, 1 – 10 000 (default 128, the tenant
    /// cap; see README "Fair sharing"). Deliveries over it wait in Redis, in order, holding neither a send slot nor a
    /// connection. It also bounds the connections to one webhook, which <c>MaxConnectionsPerServer</c> no longer does.
    /// Other tenants are guarded by <see cref="MaxInFlightPerTenant"/>; this one decides how much of its tenant's share
    /// one webhook may take, and how fast one busy webhook is sent to: a webhook that answers after t seconds gets at
    /// most cap/t deliveries/s. <c>./bench.sh --only dispatch --caps W/T</c> (20,000 to one webhook), six runs of each
    /// alternating, 2026-11-30, a box shared with another engineer's work: 64/128 recorded a median 2,635 deliveries/s
    /// (2,396–3,169), 128/128 a median 3,307/s (2,452–3,405), higher in 5 of the 6 pairs; with caps off ~3,500–3,850/s.
    /// With 64 a webhook's in-flight count bounds the groups its attempts are recorded and claimed in, and Postgres paid
    /// a statement's fixed cost for every ~20 deliveries. An operator who wants a tenant's webhooks kept apart from one
    /// another (one slow webhook leaving room for its tenant's others) sets it below the tenant cap.</summary>
    public int MaxInFlightPerWebhook { get; set; } = 128;

    /// <summary>Attempts in flight to all of one tenant's webhooks, across all Dispatchers together, 1 – 100 000
    /// (default 128: half of one Dispatcher's 256 send slots, so one tenant never takes more than half of a single
    /// Dispatcher, and less of several). <c>./bench.sh --only fairness</c> (a quiet tenant at 50 events/s beside a
    /// tenant whose 2 webhooks answer after 5 s, fed 50 events/s): with the default caps the quiet tenant's
    /// end-to-end p50/p99 was 11/107 ms beside it (9/121 ms alone) and the slow tenant got 25.8 deliveries/s (its
    /// 128 slots / 5 s); with caps off (<c>--caps off</c>) the quiet tenant's p50/p99 was 12.6/17.6 s and the slow
    /// one took 52.9/s, i.e. every slot (same run conditions as above, noisy).</summary>
    public int MaxInFlightPerTenant { get; set; } = 128;

    /// <summary>True only for local development and tests: turns off the SSRF guard.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Longest <c>Retry-After</c> honoured on 429/503 (default 1 h); a longer one is capped.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A claimed delivery's lease: request timeout plus this margin; an expired lease is reaped back to due.</summary>
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan Lease => RequestTimeout + LeaseMargin;
}
