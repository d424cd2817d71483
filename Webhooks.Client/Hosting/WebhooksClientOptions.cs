namespace Webhooks.Client;

/// <summary><c>Webhooks:Client</c>: how <c>AddWebhooksClient</c> calls the API.</summary>
public sealed class WebhooksClientOptions
{
    public const string Section = "Webhooks:Client";

    /// <summary>The bearer key sent with every request (a tenant user's key; the admin key only to create tenants).
    /// <see cref="WebhooksClient.WithApiKey"/> overrides it per call site.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Retries after a 429, a 503 or a network error, 0–10 (default 4).</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>Longest wait before a retry, also when <c>Retry-After</c> asks for more, 1 s – 5 min (default 30 s).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed to one attempt, 1 s – 10 min (default 30 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed to a call with all its retries, 1 s – 1 h (default 3 min).</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(3);

    internal IEnumerable<string> Problems()
    {
        if (MaxRetryAttempts is < 0 or > 10) yield return $"{Section}:MaxRetryAttempts must be between 0 and 10 (was {MaxRetryAttempts}).";
        if (MaxRetryDelay < TimeSpan.FromSeconds(1) || MaxRetryDelay > TimeSpan.FromMinutes(5))
            yield return $"{Section}:MaxRetryDelay must be between 00:00:01 and 00:05:00 (was {MaxRetryDelay}).";
        if (AttemptTimeout < TimeSpan.FromSeconds(1) || AttemptTimeout > TimeSpan.FromMinutes(10))
            yield return $"{Section}:AttemptTimeout must be between 00:00:01 and 00:10:00 (was {AttemptTimeout}).";
        if (TotalTimeout < TimeSpan.FromSeconds(1) || TotalTimeout > TimeSpan.FromHours(1))
            yield return $"{Section}:TotalTimeout must be between 00:00:01 and 01:00:00 (was {TotalTimeout}).";
    }
}
