using Webhooks.Core.Queue;
using Webhooks.Dispatcher.Telemetry;

namespace Webhooks.Dispatcher.Upkeep;

/// <summary>Samples the schedule for the queue gauges: how many deliveries are due now, how late the oldest is, how
/// many are scheduled for later (in the due set ahead of now, or in the later buckets), and how many are held under the
/// in-flight caps, waiting for a slot of their webhook or tenant.</summary>
internal sealed partial class QueueSampler(DeliveryQueue queue, TimeProvider time, DispatcherMetrics metrics,
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
                var now = time.GetUtcNow();
                var held = queue.HeldCountAsync();
                var (dueNow, oldestDueAt, dueLater) = await queue.SampleDueAsync(now);
                var lag = oldestDueAt is { } oldest ? now - oldest : TimeSpan.Zero;
                metrics.QueueSampled(dueNow, lag > TimeSpan.Zero ? lag : TimeSpan.Zero, dueLater + await queue.LaterCountAsync(), await held);
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
