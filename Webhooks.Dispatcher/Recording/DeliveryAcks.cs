using Webhooks.Core.Data;
using Webhooks.Core.Queue;

namespace Webhooks.Dispatcher.Recording;

/// <summary>
/// Where finished deliveries are acked in the Redis schedule, by group commit (<see cref="GroupCommit{TItem, TResult}"/>):
/// the attempts of one recorded group finish together, and their acks go out in one script call
/// (<see cref="DeliveryQueue.AckAsync(IReadOnlyCollection{QueuedDelivery})"/>) with at most one wake, instead of a
/// script call, a publish and a claim-loop wake for each.
/// </summary>
/// <remarks>Measured with <c>./bench.sh --only dispatch</c> (20,000 to one webhook, default caps; Redis
/// <c>INFO commandstats</c> every 0.7 s): with an ack each, Redis ran ~2,000 script calls and ~1,900 publishes a second
/// at ~2,100 deliveries/s; acked in groups, ~340 script calls (claims included) and ~155 publishes a second. Each
/// publish reaches every Dispatcher, so this matters more with replicas. Deliveries/s moved within the noise.</remarks>
internal sealed class DeliveryAcks(DeliveryQueue queue) : GroupCommit<QueuedDelivery, bool>(MaxGroup)
{
    /// <summary>A group's script runs ~10 µs per ack in Redis, which serves every process meanwhile: a bound keeps it short.</summary>
    internal const int MaxGroup = 256;

    /// <summary>Acks the delivery with whatever else is waiting; completes once Redis has it.</summary>
    public Task AckAsync(QueuedDelivery delivery) => CommitAsync(delivery);

    protected override async Task<IReadOnlyList<bool>> WriteGroupAsync(IReadOnlyList<QueuedDelivery> group)
    {
        await queue.AckAsync(group);
        return new bool[group.Count];
    }

    // A script error or a lost connection fails the group; each delivery then stays in flight until its lease expires.
    protected override bool IsRefusal(Exception exception) => false;
}
