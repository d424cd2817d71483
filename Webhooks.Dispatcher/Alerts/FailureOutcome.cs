namespace Webhooks.Dispatcher.Alerts;

/// <summary>What recording one failed attempt did to its webhook, so the Dispatcher can count alerts and disables.</summary>
/// <param name="ConsecutiveFailures">The webhook's count after this failure.</param>
/// <param name="Disabled">True when this failure disabled the webhook (and ended its live deliveries).</param>
internal sealed record FailureOutcome(int ConsecutiveFailures, bool Disabled)
{
    /// <summary>The alert thresholds this failure reached (at most one, since the count moves by one).</summary>
    public IReadOnlyList<int> ThresholdsCrossed { get; init; } = [];

    /// <summary>Notification rows written (failing and disabled, one per recipient, duplicates not counted).</summary>
    public int NotificationsSent { get; init; }

    /// <summary>Live deliveries ended because this failure disabled the webhook.</summary>
    public int DeliveriesEnded { get; init; }
}
