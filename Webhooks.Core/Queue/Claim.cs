namespace Webhooks.Core.Queue;

/// <summary>What one claim took, and when the schedule next has something for a claim (null: nothing scheduled).</summary>
/// <param name="Deliveries">The claimed deliveries, each in flight and holding a slot under the caps.</param>
/// <param name="NextDueAt">The earliest due time left in the due set, or the time the first later bucket is to be
/// promoted if that is earlier; read in the same script as the claim.</param>
public sealed record Claim(IReadOnlyList<QueuedDelivery> Deliveries, DateTimeOffset? NextDueAt);
