using Microsoft.Extensions.Time.Testing;
using Webhooks.Dispatcher.Claiming;

namespace Webhooks.Tests.Delivery;

public sealed class WakeSignalTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Signals_set_before_a_wait_coalesce_into_one_wake()
    {
        var time = new FakeTimeProvider();
        var wake = new WakeSignal();
        wake.Set();
        wake.Set();
        wake.Set();

        await wake.WaitAsync(Long, time, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        var second = wake.WaitAsync(Long, time, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted); // the three signals were one
        time.Advance(Long);
        await second.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_signal_after_a_wake_wakes_the_next_wait()
    {
        var time = new FakeTimeProvider();
        var wake = new WakeSignal();
        wake.Set();
        await wake.WaitAsync(Long, time, TestContext.Current.CancellationToken);

        var waiting = wake.WaitAsync(Long, time, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);
        wake.Set();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_signal_after_a_timed_out_wait_wakes_the_next_wait()
    {
        var time = new FakeTimeProvider();
        var wake = new WakeSignal();
        var first = wake.WaitAsync(TimeSpan.FromSeconds(1), time, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(1));
        await first.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        wake.Set();
        await wake.WaitAsync(Long, time, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void A_signal_runs_the_waiting_loop_on_at_once_on_the_signalling_thread()
    {
        var time = new FakeTimeProvider();
        var wake = new WakeSignal();
        int? resumedOn = null;
        async Task LoopAsync()
        {
            await wake.WaitAsync(Long, time, TestContext.Current.CancellationToken);
            resumedOn = Environment.CurrentManagedThreadId;
        }
        var loop = LoopAsync();
        Assert.Null(resumedOn);

        wake.Set();

        // Not queued to the thread pool: the claim starts before the signaller (the wake's handler) returns.
        Assert.Equal(Environment.CurrentManagedThreadId, resumedOn);
        Assert.True(loop.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_wait_ends_with_the_stop()
    {
        var wake = new WakeSignal();
        using var stop = new CancellationTokenSource();
        var waiting = wake.WaitAsync(Long, new FakeTimeProvider(), stop.Token);

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        // A signal after it is kept for the next wait.
        wake.Set();
        await wake.WaitAsync(Long, new FakeTimeProvider(), TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }
}
