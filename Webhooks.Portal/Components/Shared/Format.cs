using Microsoft.FluentUI.AspNetCore.Components;
using Webhooks.Client;

namespace Webhooks.Portal.Components.Shared;

/// <summary>How times, states and durations read across the portal. Times show in UTC with the zone named, so what
/// a page says matches the Api, logs and the dashboard.</summary>
internal static class Format
{
    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss") + " UTC" : "—";

    public static string Ago(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } t) return "never";
        var span = now - t;
        return span.TotalSeconds < 60 ? "just now"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes} min ago"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours} h ago"
            : $"{(int)span.TotalDays} days ago";
    }

    public static string Duration(double? ms) => ms is { } v ? v >= 1000 ? $"{v / 1000:0.0} s" : $"{v:0} ms" : "—";

    public static string Percent(double? rate) => rate is { } r ? $"{r * 100:0.#}%" : "—";

    public static string Status(DeliveryStatus status) => status.ToString().ToLowerInvariant();

    public static BadgeColor StatusColor(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Success => BadgeColor.Success,
        DeliveryStatus.Failed => BadgeColor.Danger,
        DeliveryStatus.Retrying => BadgeColor.Warning,
        _ => BadgeColor.Informative,
    };

    /// <summary>An endpoint's state in one word: active, paused (by a user) or disabled (by the service after failures).</summary>
    public static (string Text, BadgeColor Color) State(Webhook webhook) =>
        webhook.Active ? ("active", BadgeColor.Success)
        : webhook.DisabledAt is not null ? ("disabled", BadgeColor.Danger)
        : ("paused", BadgeColor.Subtle);

    /// <summary>Health from the failure streak: what a user should do about it.</summary>
    public static (string Text, BadgeColor Color) Health(Webhook webhook) =>
        webhook.ConsecutiveFailures switch
        {
            0 when webhook.LastSuccessAt is null => ("no deliveries yet", BadgeColor.Subtle),
            0 => ("healthy", BadgeColor.Success),
            < 3 => ($"{webhook.ConsecutiveFailures} failure(s) in a row", BadgeColor.Warning),
            _ => ($"failing: {webhook.ConsecutiveFailures} in a row", BadgeColor.Danger),
        };
}
