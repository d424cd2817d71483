using Webhooks.Core.Queue;
using Webhooks.Dispatcher.Claiming;

namespace Webhooks.Dispatcher.Upkeep;

/// <summary>Returns the leases of deliveries whose worker died or stalled (any Dispatcher's) to the due set.</summary>
internal sealed partial class LeaseReaper(DeliveryQueue queue, WakeSignal wake, TimeProvider time, ILogger<LeaseReaper> logger) : BackgroundService
{
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                var reaped = await queue.ReapExpiredLeasesAsync(time.GetUtcNow());
                if (reaped > 0)
                {
                    LogReaped(reaped);
                    wake.Set();
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Warning, "Returned {Count} expired delivery leases to the due set")]
    private partial void LogReaped(int count);

    [LoggerMessage(LogLevel.Warning, "Reaping expired leases failed; trying again shortly")]
    private partial void LogFailed(Exception exception);
}
