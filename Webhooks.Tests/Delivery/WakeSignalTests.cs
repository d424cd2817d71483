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
}
