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

    /// <summary>Attempts in flight to one webhook, across all Dispatchers together, 1 – 10 000 (default 64; see
    /// README "Fair sharing"). Deliveries over it wait in Redis, in order, holding neither a send slot nor a
    /// connection. It also bounds the connections to one webhook, which <c>MaxConnectionsPerServer</c> no longer does.
    /// FIGURES</summary>
    public int MaxInFlightPerWebhook { get; set; } = 64;

    /// <summary>Attempts in flight to all of one tenant's webhooks, across all Dispatchers together, 1 – 100 000
    /// (default 128). FIGURES</summary>
    public int MaxInFlightPerTenant { get; set; } = 128;

    /// <summary>True only for local development and tests: turns off the SSRF guard.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Longest <c>Retry-After</c> honoured on 429/503 (default 1 h); a longer one is capped.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A claimed delivery's lease: request timeout plus this margin; an expired lease is reaped back to due.</summary>
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan Lease => RequestTimeout + LeaseMargin;
}
