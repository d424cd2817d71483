using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Dispatcher.Claiming;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

public sealed class ClaimBackoffTests
{
    [Fact]
    public async Task Failed_turns_pause_the_loop_from_a_quarter_second_doubling_up_to_ten_seconds_and_a_success_ends_it()
    {
        var time = new FakeTimeProvider();
        var backoff = new ClaimBackoff(time, NullLogger<ClaimBackoff>.Instance);
        var failures = 8;
        var turns = 0;
        var run = backoff.RunAsync(_ =>
        {
            turns++;
            return failures-- > 0 ? throw new InvalidOperationException("Redis is down") : ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken).AsTask();

        var pauses = new List<double>();
        while (pauses.Count < 8)
        {
            // Each failure sets a pause on the fake clock; nothing runs again until the clock has moved past it.
            var pause = await Eventually.Get(() => Task.FromResult(backoff.Remaining), r => r > TimeSpan.Zero, "the next pause");
            Assert.Equal(pauses.Count + 1, turns);
            pauses.Add(pause.TotalMilliseconds);
            time.Advance(pause);
        }
        await run.WaitAsync(TestTimeouts.Condition, TestContext.Current.CancellationToken);

        Assert.Equal([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000], pauses);
        Assert.Equal(9, turns);
        Assert.True(backoff.Remaining <= TimeSpan.Zero);
    }
}
