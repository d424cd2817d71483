using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Webhooks.Core.Queue;

namespace Webhooks.Core.Deliveries;

/// <summary>
/// Commit, then schedule: every path that creates deliveries writes Postgres first and schedules them in Redis only
/// once that has committed, through here (a manual requeue of existing rows goes the other way: see
/// <see cref="DeliveryRequeue"/>). If Redis is unreachable nothing is lost: the Dispatcher's
/// reconciler finds the deliveries in Postgres and schedules them, so the failure is logged and the caller carries on.
/// </summary>
public sealed partial class DeliveryScheduler(DeliveryQueue queue, ILogger<DeliveryScheduler> logger)
{
    /// <summary>Runs <paramref name="commit"/>, which returns once its rows are committed, then schedules the
    /// deliveries <paramref name="due"/> picks from its result.</summary>
    public async Task<T> CommitThenScheduleAsync<T>(Func<Task<T>> commit, Func<T, IReadOnlyCollection<(QueuedDelivery Delivery, DateTimeOffset DueAt)>> due)
    {
        var committed = await commit();
        await ScheduleCommittedAsync(due(committed));
        return committed;
    }

    /// <summary>The second half on its own, for a writer that must not wait for Redis before its next commit (the
    /// Api's group commit of publishes).</summary>
    /// <returns>False when Redis could not be written.</returns>
    public async Task<bool> ScheduleCommittedAsync(IReadOnlyCollection<(QueuedDelivery Delivery, DateTimeOffset DueAt)> deliveries)
    {
        try
        {
            await queue.ScheduleAsync(deliveries);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogNotScheduled(e, deliveries.Count);
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not schedule {Count} committed deliveries in Redis; the reconciler will pick them up")]
    private partial void LogNotScheduled(Exception exception, int count);
}
