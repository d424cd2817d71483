using StackExchange.Redis;
using Webhooks.Core.Queue;
using Webhooks.Dispatcher.Telemetry;

namespace Webhooks.Dispatcher.Upkeep;

/// <summary>Samples the schedule for the queue gauges: how many deliveries are due now, how late the oldest is, and how
/// many are scheduled for later (in the due set ahead of now, or in the later buckets).</summary>
internal sealed partial class QueueSampler(IConnectionMultiplexer redis, DeliveryQueue queue, TimeProvider time, DispatcherMetrics metrics,
    ILogger<QueueSampler> logger) : BackgroundService
{
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                var db = redis.GetDatabase();
                var now = time.GetUtcNow();
                var due = await db.SortedSetLengthAsync(DeliveryQueue.DueKey, double.NegativeInfinity, now.ToUnixTimeMilliseconds());
                var oldest = await db.SortedSetRangeByRankWithScoresAsync(DeliveryQueue.DueKey, 0, 0);
                var lag = oldest.Length == 0 ? TimeSpan.Zero : now - DateTimeOffset.FromUnixTimeMilliseconds((long)oldest[0].Score);
                var scheduledSoon = await queue.DueCountAsync() - due;
                metrics.QueueSampled(due, lag > TimeSpan.Zero ? lag : TimeSpan.Zero, scheduledSoon + await queue.LaterCountAsync());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Debug, "Sampling the schedule failed")]
    private partial void LogFailed(Exception exception);
}
