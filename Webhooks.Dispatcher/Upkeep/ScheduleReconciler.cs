using Microsoft.Extensions.Options;
using Webhooks.Core.Data;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Options;
using Webhooks.Core.Queue;

namespace Webhooks.Dispatcher.Upkeep;

/// <summary>
/// Puts back into Redis every live delivery Postgres knows and Redis lacks: after a Redis flush or restart, or a
/// publish that committed but crashed before scheduling. Runs at start and every <c>Webhooks:Reconciler:Interval</c>.
/// Only deliveries due within <see cref="DeliveryQueue.RestoreHorizon"/> are swept: later ones wait in Redis' later
/// buckets, which the sweep cannot cheaply search (restoring them would fill the due set with copies), and one lost
/// with Redis is restored by the first sweep after it comes that close, before it is due.
/// </summary>
internal sealed partial class ScheduleReconciler(IServiceScopeFactory scopes, DeliveryQueue queue, TimeProvider time,
    IOptions<ReconcilerOptions> options, ILogger<ScheduleReconciler> logger) : BackgroundService
{
    internal const int PageSize = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                var (seen, restored) = await ReconcileAsync(stoppingToken);
                if (restored > 0) LogRestored(restored, seen);
                else LogNothingMissing(seen);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(e);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One sweep, a page at a time.</summary>
    internal async Task<(int Seen, int Restored)> ReconcileAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        var until = time.GetUtcNow() + DeliveryQueue.RestoreHorizon;
        int seen = 0, restored = 0;
        (DateTimeOffset, Guid)? after = null;
        while (true)
        {
            var page = await DeliveryRequeue.LiveDueBeforeAsync(db, until, after, PageSize, ct);
            if (page.Count == 0) break;
            seen += page.Count;
            restored += await queue.RestoreAsync(page);
            if (page.Count < PageSize) break;
            after = (page[^1].DueAt, page[^1].Delivery.Id);
        }
        return (seen, restored);
    }

    [LoggerMessage(LogLevel.Warning, "Reconciler restored {Restored} of {Seen} live deliveries due soon that the Redis schedule lacked")]
    private partial void LogRestored(int restored, int seen);

    [LoggerMessage(LogLevel.Debug, "Reconciler found all {Seen} live deliveries due soon scheduled")]
    private partial void LogNothingMissing(int seen);

    [LoggerMessage(LogLevel.Error, "Reconciling the Redis schedule with Postgres failed; trying again next interval")]
    private partial void LogFailed(Exception exception);
}
