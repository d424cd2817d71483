using Webhooks.Core.Queue;
using Webhooks.Dispatcher.Claiming;

namespace Webhooks.Dispatcher.Upkeep;

/// <summary>Returns the leases of deliveries whose worker died or stalled (any Dispatcher's) to the due set; a
/// delivery that held a slot under the in-flight caps keeps it, so the next claim sends it at once. Every
/// <see cref="HealEvery"/> sweeps it also heals the caps' counts (<see cref="DeliveryQueue.HealCapsAsync"/>), which
/// only a fault between Redis commands could have made drift.</summary>
internal sealed partial class LeaseReaper(DeliveryQueue queue, WakeSignal wake, TimeProvider time, ILogger<LeaseReaper> logger) : BackgroundService
{
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    internal const int HealEvery = 5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        var sweep = 0;
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
                if (sweep++ % HealEvery == 0)
                {
                    var (dropped, granted) = await queue.HealCapsAsync();
                    if (dropped > 0) LogHealed(dropped, granted);
                    if (granted > 0) wake.Set();
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

    [LoggerMessage(LogLevel.Warning, "Dropped {Dropped} lost in-flight slots and gave {Granted} to held deliveries")]
    private partial void LogHealed(int dropped, int granted);

    [LoggerMessage(LogLevel.Warning, "Reaping expired leases failed; trying again shortly")]
    private partial void LogFailed(Exception exception);
}
