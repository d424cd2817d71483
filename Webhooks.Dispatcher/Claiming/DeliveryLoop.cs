using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Webhooks.Core.Options;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Queue;
using Npgsql;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Dispatcher.Claiming;

/// <summary>
/// The first step of a delivery: claims due deliveries from the Redis schedule (those the in-flight caps admit), reads
/// them from Postgres (one query a claim, <see cref="ClaimedDeliveries"/>), and hands them to the <see cref="DeliveryProcessor"/>, up to
/// <c>Webhooks:Delivery:MaxConcurrency</c> at once. It claims only as many as it has free slots (so no claimed lease
/// ticks away in a local backlog) and claims again whenever a slot frees, so a slow endpoint holds its own slots and
/// never a whole batch. Between claims it sleeps until just before the earliest due time (<see cref="ClaimAhead"/>),
/// woken early by the Redis wake channel (a publish) or a finished delivery; the sleep is capped in case a wake is
/// lost. A turn that fails (Redis or Postgres down) pauses the loop (<see cref="ClaimBackoff"/>).
/// </summary>
/// <remarks>Slots are shared by all endpoints, but a slow webhook or tenant holds at most its in-flight caps
/// (<c>Webhooks:Delivery:MaxInFlightPerWebhook</c> / <c>MaxInFlightPerTenant</c>, across all Dispatchers): the claim
/// script sets aside what it has beyond them, to wait in Redis, neither in a slot nor read from Postgres, and goes on to
/// others' deliveries.</remarks>
internal sealed partial class DeliveryLoop(
    DeliveryQueue queue,
    IConnectionMultiplexer redis,
    NpgsqlDataSource database,
    DeliveryProcessor processor,
    WakeSignal wake,
    ClaimBackoff backoff,
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
        try
        {
            while (!stoppingToken.IsCancellationRequested) await backoff.RunAsync(TurnAsync, stoppingToken);
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

    /// <summary>One claim, then a sleep until the next one is due, unless the claim filled every free slot.</summary>
    private async ValueTask TurnAsync(CancellationToken stoppingToken)
    {
        if (!_subscribed) await SubscribeAsync();
        var free = Math.Min(options.Value.MaxConcurrency - _running.Count, MaxBatch);
        if (free <= 0)
        {
            await wake.WaitAsync(MaxSleep, time, stoppingToken);
            return;
        }
        var claimedAt = time.GetUtcNow() + ClaimAhead;
        Claim claim;
        using (var span = DispatcherTelemetry.ActivitySource.StartActivity("claim deliveries"))
        {
            claim = await queue.ClaimAsync(claimedAt, free, options.Value.Lease);
            span?.SetTag("webhooks.deliveries.count", claim.Deliveries.Count);
            // An idle loop looks at least once a second: a claim of nothing is not worth a span in the dashboard.
            if (claim.Deliveries.Count == 0 && span is not null) span.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
        var claimed = claim.Deliveries;
        if (claimed.Count > 0) Start(claimed, await ReadAsync(claimed, stoppingToken), claimedAt + options.Value.Lease, stoppingToken);
        // More may be due right now. (A claim that set aside its share of a capped backlog leaves the rest due, and the
        // next due time is then now.)
        if (claimed.Count == free) return;

        // As the claim saw it: a publish, a grant or a delivery finished here since then sets the wake signal, so nothing
        // due is slept through.
        var sleep = claim.NextDueAt is { } dueAt ? dueAt - ClaimAhead - time.GetUtcNow() : MaxSleep;
        await wake.WaitAsync(sleep < MaxSleep ? sleep : MaxSleep, time, stoppingToken);
    }

    /// <summary>The claimed deliveries as Postgres has them. If the read fails they stay in flight until their lease
    /// expires (the reaper returns them); at shutdown they are handed back at once.</summary>
    private async Task<Dictionary<Guid, DeliveryWork>> ReadAsync(IReadOnlyList<QueuedDelivery> claimed, CancellationToken stoppingToken)
    {
        using var activity = DispatcherTelemetry.ActivitySource.StartActivity("read deliveries");
        try
        {
            await using var connection = await database.OpenConnectionAsync(stoppingToken);
            return await ClaimedDeliveries.ReadAsync(connection, claimed.Select(d => d.Id).ToArray(), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            foreach (var delivery in claimed) await processor.HandBackAsync(delivery);
            throw;
        }
        catch (Exception e)
        {
            LogReadFailed(e, claimed.Count);
            throw;
        }
    }

    /// <param name="leaseUntil">When the claim's lease runs out (the in-flight score the claim gave each delivery).</param>
    private void Start(IReadOnlyList<QueuedDelivery> claimed, Dictionary<Guid, DeliveryWork> works, DateTimeOffset leaseUntil,
        CancellationToken stoppingToken)
    {
        var started = new List<QueuedDelivery>(claimed.Count);
        var done = new Dictionary<Guid, TaskCompletionSource>(claimed.Count);
        foreach (var delivery in claimed)
        {
            var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // Added before the work starts, so a fast finish cannot leave a stale entry behind.
            if (_running.TryAdd(delivery.Id, finished.Task))
            {
                started.Add(delivery);
                done[delivery.Id] = finished;
            }
            else
            {
                LogAlreadyRunning(delivery.Id);
                // (Absent again if it finished in between: then it starts at once, from a fresh read all the same.)
                _ = StartAfterAsync(_running.TryGetValue(delivery.Id, out var running) ? running : Task.CompletedTask, delivery,
                    leaseUntil, stoppingToken);
            }
        }
        if (started.Count == 0) return;
        _ = Task.Run(() => processor.ProcessAsync(started, works, leaseUntil, id =>
        {
            _running.TryRemove(id, out _);
            done[id].SetResult();
            wake.Set();
        }, _abandon.Token));
    }

    /// <summary>
    /// A delivery claimed while its previous claim still runs here: it was rescheduled (a retry due within milliseconds,
    /// a hand-back) and claimed again before that run had quite finished, or its lease expired while Postgres was slow
    /// and it was reaped and claimed again. Skipping it would leave this claim in flight until its lease ran out (a
    /// minute's delay for a retry that was due at once); starting it now could send it twice at once. So it starts once
    /// the running one is done, from a fresh read: if that run already recorded and acked or rescheduled it, the read
    /// says so, and nothing is sent twice.
    /// </summary>
    private async Task StartAfterAsync(Task running, QueuedDelivery delivery, DateTimeOffset leaseUntil, CancellationToken stoppingToken)
    {
        await running;
        try
        {
            Start([delivery], await ReadAsync([delivery], stoppingToken), leaseUntil, stoppingToken);
        }
        catch (Exception)
        {
            // ReadAsync logged it (or handed it back at shutdown): it stays in flight until its lease expires.
        }
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
        await redis.GetSubscriber().SubscribeAsync(queue.Keys.Wake, OnWake);
        _subscribed = true;
    }

    private async Task UnsubscribeAsync()
    {
        if (!_subscribed) return;
        try
        {
            await redis.GetSubscriber().UnsubscribeAsync(queue.Keys.Wake, OnWake);
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

    [LoggerMessage(LogLevel.Error, "{Count} claimed deliveries could not be read; they stay in flight until their lease expires")]
    private partial void LogReadFailed(Exception exception, int count);

    [LoggerMessage(LogLevel.Information, "Delivery {DeliveryId} was claimed again while its previous claim was still being processed here; it starts once that one is done")]
    private partial void LogAlreadyRunning(Guid deliveryId);

    [LoggerMessage(LogLevel.Information, "Stopping: waiting for {Count} deliveries in progress")]
    private partial void LogDraining(int count);
}
