namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Alerts</c>: when repeated failures notify and disable.</summary>
public sealed class AlertsOptions
{
    public const string Section = "Webhooks:Alerts";

    /// <summary>Consecutive failures that send a <c>webhook.failing</c> notification (default 3, 5, 10), each ≥ 1.</summary>
    public int[] Thresholds { get; set; } = [];

    /// <summary>Consecutive failures that disable the webhook (default 10), ≥ 1.</summary>
    public int DisableAfter { get; set; } = 10;

    public static readonly int[] DefaultThresholds = [3, 5, 10];
}
