namespace Webhooks.Dispatcher.Sending;

/// <summary>How an attempt ended; also the <c>outcome</c> tag of the delivery metrics.</summary>
public enum SendOutcome
{
    Success,
    /// <summary>The endpoint answered, but not with a 2xx (a 3xx included: redirects are not followed).</summary>
    HttpError,
    Timeout,
    /// <summary>DNS, connection refused or reset, TLS: no usable answer.</summary>
    NetworkError,
    /// <summary>The SSRF guard (or an unusable URL) refused the endpoint: retrying cannot help.</summary>
    Blocked,
}

/// <summary>One HTTP POST of a delivery as it went, ready to be stored as a DeliveryAttempt.</summary>
public sealed record SendResult(
    SendOutcome Outcome,
    DateTimeOffset StartedAt,
    int DurationMs,
    Dictionary<string, string> RequestHeaders,
    int? ResponseStatus = null,
    Dictionary<string, string>? ResponseHeaders = null,
    string? ResponseBody = null,
    string? Error = null,
    TimeSpan? RetryAfter = null)
{
    public bool Succeeded => Outcome == SendOutcome.Success;

    public string OutcomeTag => Outcome switch
    {
        SendOutcome.Success => "success",
        SendOutcome.HttpError => "http_error",
        SendOutcome.Timeout => "timeout",
        SendOutcome.NetworkError => "network_error",
        _ => "blocked",
    };
}
