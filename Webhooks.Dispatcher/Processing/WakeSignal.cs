namespace Webhooks.Dispatcher.Processing;

/// <summary>
/// Wakes the delivery loop early: a publish anywhere (the Redis wake channel), a slot freed by a finished delivery, a
/// reschedule or a reaped lease here. Signals coalesce: many while the loop is busy mean one more look at the queue.
/// </summary>
internal sealed class WakeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Set()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already set: the loop will look once, which covers this signal too.
        }
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
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
        {
        }
    }
}
