namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>What one retention run deleted.</summary>
/// <param name="Ran">False when another Dispatcher held the retention lock, so this one did nothing.</param>
/// <param name="Batches">DELETE statements that removed at least one row.</param>
internal sealed record RetentionResult(bool Ran, int SuccessfulDeliveries, int FailedDeliveries, int Attempts, int Events, int Batches)
{
    public static readonly RetentionResult Skipped = new(false, 0, 0, 0, 0, 0);

    public int Deliveries => SuccessfulDeliveries + FailedDeliveries;
}
