namespace Webhooks.Core.Telemetry;

/// <summary>The tag names of both services' metrics, spelled once (snake_case, as the dashboard shows them), so a tag
/// means the same in every instrument that carries it.</summary>
public static class MetricTags
{
    /// <summary>The event's catalog type, e.g. <c>sale.created</c>.</summary>
    public const string EventType = "event_type";

    /// <summary>How an attempt ended: success, http_error, timeout, network_error, blocked.</summary>
    public const string Outcome = "outcome";

    /// <summary>The consecutive-failure threshold an alert reached.</summary>
    public const string Threshold = "threshold";

    /// <summary>The id of an encryption key of <c>Webhooks:Secrets:EncryptionKeys</c> (never the key).</summary>
    public const string KeyId = "key_id";

    /// <summary>Whether a publish request was a batch.</summary>
    public const string Batch = "batch";
}
