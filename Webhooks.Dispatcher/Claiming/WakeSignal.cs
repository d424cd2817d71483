namespace Webhooks.Dispatcher.Claiming;

/// <summary>
/// Wakes the delivery loop early: a publish anywhere (the Redis wake channel), a slot freed by a finished delivery, a
/// reschedule or a reaped lease here. Signals coalesce: many while the loop is busy mean one more look at the queue.
/// </summary>
/// <remarks>A signal to a waiting loop runs the loop on, up to its claim's first round trip, on the signalling thread
/// (its wait is a task completed there, not one whose continuation is queued): a publish's wake reached the claim
/// through two thread-pool hops, the subscription's handler and then the loop's continuation, and on a busy box each
/// hop waits for a thread. The signallers are the subscription handler, a finished delivery's callback and the lease
/// reaper, none of which holds a lock or minds lending its thread for the few microseconds before the claim waits.</remarks>
internal sealed class WakeSignal
{
    private readonly Lock _gate = new();

    /// <summary>A signal waits to be taken. Every finished delivery signals, so a signal already pending must cost
    /// nothing: it is read without the lock.</summary>
    private volatile bool _pending;

    /// <summary>The loop's wait, while it waits; whoever takes it out (a signal, the timeout, the stop) completes it.</summary>
    private TaskCompletionSource? _waiter;

    public void Set()
    {
        if (_pending) return;
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            if (waiter is null) _pending = true;
        }
        waiter?.TrySetResult();
    }

    /// <summary>Waits until set or until <paramref name="timeout"/> passes on <paramref name="time"/>'s clock.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (timeout <= TimeSpan.Zero) return;
        ct.ThrowIfCancellationRequested();
        // Without RunContinuationsAsynchronously on purpose (see the remarks).
        var waiter = new TaskCompletionSource();
        lock (_gate)
        {
            if (_pending)
            {
                // Taken: a signal from now on is news the caller's next look may not cover, so it must wake again.
                _pending = false;
                return;
            }
            _waiter = waiter;
        }
        // Disposed where the wait ended, which may be inside either callback: Dispose, unlike DisposeAsync, does not wait
        // for a callback running on its own thread.
        using var timer = time.CreateTimer(_ => { if (Take(waiter)) waiter.TrySetResult(); }, null, timeout, Timeout.InfiniteTimeSpan);
        using var stop = ct.Register(() => { if (Take(waiter)) waiter.TrySetCanceled(ct); });
        await waiter.Task;
    }

    /// <summary>Takes <paramref name="waiter"/> out if no signal has yet: then the caller completes it.</summary>
    private bool Take(TaskCompletionSource waiter)
    {
        lock (_gate)
        {
            if (_waiter != waiter) return false;
            _waiter = null;
            return true;
        }
    }
}
