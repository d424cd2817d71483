using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Dispatcher.Alerts;

/// <summary>The words and details of failure alerts: pure functions of one failure, kept apart from the SQL.</summary>
internal static class FailureAlerts
{
    public const int GoneStatusCode = 410;
    private const int MaxReasonLength = 1000;
    private const int MaxErrorInDetails = 2000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Dedupe keys are per failure streak: a success or a re-enable starts a new streak, which alerts afresh.</summary>
    public static string FailingKey(int threshold, Guid streakId) => $"failing:{threshold}:{streakId:N}";

    /// <summary>The count is in the key so that a webhook disabled again in one streak (say a re-enable that kept
    /// the count) still tells its users; the row lock already makes each count value occur once.</summary>
    public static string DisabledKey(Guid streakId, int count) => $"disabled:{streakId:N}:{count}";

    public static string LastCause(int? statusCode, string? error) =>
        statusCode is { } code ? $"HTTP {code}" : string.IsNullOrWhiteSpace(error) ? "unknown error" : error;

    public static string FailingMessage(string url, int count, int? statusCode, string? error) =>
        $"Webhook {url} has failed {count} times in a row (last: {Shorten(LastCause(statusCode, error), 200)}).";

    public static string DisabledReason(int count, int? statusCode, string? error) => Shorten(
        statusCode == GoneStatusCode
            ? "Disabled because the endpoint answered HTTP 410 Gone"
            : $"Disabled after {count} consecutive failures; last: {LastCause(statusCode, error)}",
        MaxReasonLength);

    public static string DisabledMessage(string url, int count, int? statusCode, string? error) =>
        (statusCode == GoneStatusCode
            ? $"Webhook {url} was disabled because the endpoint answered HTTP 410 Gone."
            : $"Webhook {url} was disabled after {count} consecutive failures (last: {Shorten(LastCause(statusCode, error), 200)}).")
        + " Its queued deliveries were stopped; fix the endpoint, then re-enable the webhook.";

    public static string Details(FailureContext failure, int count, string? reason) => JsonSerializer.Serialize(
        new DetailsJson(count, failure.StatusCode, failure.Error is null ? null : Shorten(failure.Error, MaxErrorInDetails),
            failure.DeliveryId, failure.WebhookId, failure.Url, reason), Json);

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private sealed record DetailsJson(
        int ConsecutiveFailures,
        int? LastStatusCode,
        string? LastError,
        Guid DeliveryId,
        Guid WebhookId,
        string Url,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);
}

/// <summary>One failed attempt, as the tracker was told about it, plus the webhook's url.</summary>
internal sealed record FailureContext(Guid WebhookId, Guid DeliveryId, string Url, int? StatusCode, string? Error);
