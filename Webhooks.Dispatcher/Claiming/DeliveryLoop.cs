using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Webhooks.Core.Options;
using Webhooks.Core.Queue;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Dispatcher.Claiming;

/// <summary>
/// Claims due deliveries and runs up to <c>Webhooks:Delivery:MaxConcurrency</c> of them at once. It claims only as many
/// as it has free slots (so no claimed lease ticks away in a local backlog) and claims again whenever a slot frees, so
/// a slow endpoint holds its own slots and never a whole batch. Between claims it sleeps until just before the earliest
/// due time (<see cref="ClaimAhead"/>), woken early by the Redis wake channel (a publish) or a finished delivery; the
/// sleep is capped in case a wake is lost.
/// </summary>
/// <remarks>REVIEW: slots are shared by all endpoints. A hanging endpoint holds one slot per delivery for up to the
/// request timeout, so a backlog of more than MaxConcurrency deliveries to it would still slow everyone else; a
/// per-webhook cap (deferring its surplus instead of sending it) is the next step if that shows up in practice.</remarks>
internal sealed partial class DeliveryLoop(
    DeliveryQueue queue,
    IConnectionMultiplexer redis,
    DeliveryProcessor processor,
    WakeSignal wake,
    DatabaseBackoff databaseBackoff,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<DeliveryLoop> logger) : BackgroundService
{
    internal const int MaxBatch = 100;
    /// <summary>Deliveries are claimed this long before they are due, and the processor waits out the rest, so that the
    /// claim and the read of the delivery (two round trips, a few ms under load) happen before the due time rather
    /// than after it: a retry then leaves at its due time, not that much later.</summary>
    internal static readonly TimeSpan ClaimAhead = TimeSpan.FromMilliseconds(10);
    internal static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(1);
    /// <summary>At shutdown, deliveries being sent get this long to finish before they are abandoned and handed back.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Guid, Task> _running = new();
    private readonly CancellationTokenSource _abandon = new();
    private bool _subscribed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var maxConcurrency = options.Value.MaxConcurrency;
        var lease = options.Value.Lease;
        var redisFailures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!_subscribed) await SubscribeAsync();
                    if (databaseBackoff.Remaining is var pause && pause > TimeSpan.Zero) await Task.Delay(pause, time, stoppingToken);

                    var free = Math.Min(maxConcurrency - _running.Count, MaxBatch);
                    if (free <= 0)
                    {
                        await wake.WaitAsync(MaxSleep, time, stoppingToken);
                        continue;
                    }
                    var ids = await queue.ClaimDueAsync(time.GetUtcNow() + ClaimAhead, free, lease);
                    if (ids.Count > 0) Start(ids);
                    redisFailures = 0;
                    if (ids.Count == free) continue; // more may be due right now

                    var next = await queue.NextDueAtAsync();
                    var sleep = next is { } dueAt ? dueAt - ClaimAhead - time.GetUtcNow() : MaxSleep;
                    await wake.WaitAsync(sleep < MaxSleep ? sleep : MaxSleep, time, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    redisFailures++;
                    var pause = TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, Math.Min(redisFailures, 10)), 10_000));
                    LogClaimFailed(e, pause.TotalMilliseconds);
                    await Task.Delay(pause, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await DrainAsync();
            await UnsubscribeAsync();
        }
    }

    private void Start(IReadOnlyList<Guid> deliveryIds)
    {
        var started = new List<Guid>(deliveryIds.Count);
        var done = new Dictionary<Guid, TaskCompletionSource>(deliveryIds.Count);
        foreach (var id in deliveryIds)
        {
            var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // Added before the work starts, so a fast finish cannot leave a stale entry behind. A delivery already
            // running here (its lease expired while Postgres was slow, and it was reaped and claimed again) is not
            // started twice: the running one acks or reschedules it.
            if (_running.TryAdd(id, finished.Task))
            {
                started.Add(id);
                done[id] = finished;
            }
            else LogAlreadyRunning(id);
        }
        if (started.Count == 0) return;
        _ = Task.Run(() => processor.ProcessAsync(started, id =>
        {
            _running.TryRemove(id, out _);
            done[id].SetResult();
            wake.Set();
        }, _abandon.Token));
    }

    private async Task DrainAsync()
    {
        var running = Task.WhenAll(_running.Values);
        if (running.IsCompleted) return;
        LogDraining(_running.Count);
        if (await Task.WhenAny(running, Task.Delay(DrainTimeout, time)) != running)
        {
            await _abandon.CancelAsync();
            await running;
        }
    }

    private async Task SubscribeAsync()
    {
        await redis.GetSubscriber().SubscribeAsync(DeliveryQueue.WakeChannel, OnWake);
        _subscribed = true;
    }

    private async Task UnsubscribeAsync()
    {
        if (!_subscribed) return;
        try
        {
            await redis.GetSubscriber().UnsubscribeAsync(DeliveryQueue.WakeChannel, OnWake);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            // Shutting down anyway; the connection goes with the host.
        }
    }

    private void OnWake(RedisChannel channel, RedisValue message) => wake.Set();

    public override void Dispose()
    {
        _abandon.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Claiming due deliveries failed; trying again in {PauseMs} ms")]
    private partial void LogClaimFailed(Exception exception, double pauseMs);

    [LoggerMessage(LogLevel.Warning, "Delivery {DeliveryId} was claimed again while still being processed here; left to the running worker")]
    private partial void LogAlreadyRunning(Guid deliveryId);

    [LoggerMessage(LogLevel.Information, "Stopping: waiting for {Count} deliveries in progress")]
    private partial void LogDraining(int count);
}
