namespace Webhooks.Dispatcher.Claiming;

/// <summary>
/// Wakes the delivery loop early: a publish anywhere (the Redis wake channel), a slot freed by a finished delivery, a
/// reschedule or a reaped lease here. Signals coalesce: many while the loop is busy mean one more look at the queue.
/// </summary>
internal sealed class WakeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>1 while a signal waits to be taken. Every finished delivery signals, so a signal already pending must
    /// cost nothing: releasing a full semaphore throws, and a throw per delivery was measurable.</summary>
    private int _pending;

    public void Set()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0) _signal.Release();
    }

    /// <summary>Waits until set or until <paramref name="timeout"/> passes on <paramref name="time"/>'s clock.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (timeout <= TimeSpan.Zero) return;
        using var timer = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, ct);
        try
        {
            await _signal.WaitAsync(linked.Token);
            // Taken: a signal from now on is news the caller's next look may not cover, so it must release again.
            Volatile.Write(ref _pending, 0);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
        {
        }
    }
}
