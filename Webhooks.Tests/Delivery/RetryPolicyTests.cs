using Webhooks.Core.Options;
using Webhooks.Dispatcher.Retrying;
using Webhooks.Dispatcher.Upkeep;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Tests.Delivery;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly RetryPolicy Policy = new(DeliveryOptions.DefaultRetrySchedule, TimeSpan.FromHours(1), () => 0);

    [Theory]
    [InlineData(1, 60)]
    [InlineData(2, 5 * 60)]
    [InlineData(3, 15 * 60)]
    [InlineData(4, 60 * 60)]
    [InlineData(5, 4 * 60 * 60)]
    public void After_attempt_n_fails_the_next_is_due_after_schedule_n_minus_1(int attempt, int seconds)
    {
        Assert.Equal(Now.AddSeconds(seconds), Policy.NextAttemptAt(attempt, SendOutcome.HttpError, 500, null, Now));
        Assert.Equal(Now.AddSeconds(seconds), Policy.NextAttemptAt(attempt, SendOutcome.Timeout, null, null, Now));
        Assert.Equal(Now.AddSeconds(seconds), Policy.NextAttemptAt(attempt, SendOutcome.NetworkError, null, null, Now));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)] // a manual retry of a failed delivery gets one attempt, then fails again
    public void After_the_last_scheduled_attempt_the_delivery_is_final(int attempt)
    {
        Assert.Equal(6, Policy.MaxAttempts);
        Assert.Null(Policy.NextAttemptAt(attempt, SendOutcome.HttpError, 500, null, Now));
    }

    [Fact]
    public void Blocked_and_successful_attempts_are_never_retried()
    {
        Assert.Null(Policy.NextAttemptAt(1, SendOutcome.Blocked, null, null, Now));
        Assert.Null(Policy.NextAttemptAt(1, SendOutcome.Success, 200, null, Now));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public void Retry_after_on_429_and_503_is_honoured_when_longer_than_the_schedule(int status)
    {
        Assert.Equal(Now.AddMinutes(10), Policy.NextAttemptAt(1, SendOutcome.HttpError, status, TimeSpan.FromMinutes(10), Now));
        Assert.Equal(Now.AddMinutes(1), Policy.NextAttemptAt(1, SendOutcome.HttpError, status, TimeSpan.FromSeconds(10), Now));
    }

    [Fact]
    public void Retry_after_is_capped_and_ignored_on_other_statuses_and_after_the_last_attempt()
    {
        Assert.Equal(Now.AddHours(1), Policy.NextAttemptAt(1, SendOutcome.HttpError, 429, TimeSpan.FromHours(30), Now));
        Assert.Equal(Now.AddMinutes(1), Policy.NextAttemptAt(1, SendOutcome.HttpError, 500, TimeSpan.FromMinutes(10), Now));
        Assert.Null(Policy.NextAttemptAt(6, SendOutcome.HttpError, 503, TimeSpan.FromMinutes(10), Now));
    }

    [Fact]
    public void Jitter_adds_at_most_ten_percent_and_none_below_a_second()
    {
        var highest = new RetryPolicy([TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(500)], TimeSpan.FromHours(1), () => 0.999999);

        var jittered = highest.NextAttemptAt(1, SendOutcome.HttpError, 500, null, Now)!.Value - Now;
        Assert.InRange(jittered, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(11));
        Assert.True(jittered > TimeSpan.FromMinutes(10.9));
        Assert.Equal(Now.AddMilliseconds(500), highest.NextAttemptAt(2, SendOutcome.HttpError, 500, null, Now));
    }
}
