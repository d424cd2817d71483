using Microsoft.Extensions.Options;
using Webhooks.Core.Options;
using Webhooks.Dispatcher.Sending;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Dispatcher.Retrying;

/// <summary>The new state of a delivery after one attempt.</summary>
internal sealed record DeliveryState(DeliveryStatus Status, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);

/// <summary>
/// When the next attempt of a failed delivery is due, if ever. After attempt n fails the next is due
/// <c>RetrySchedule[n-1]</c> later; after attempt <c>RetrySchedule.Length + 1</c> the delivery has failed for good.
/// A blocked endpoint is never retried: the address will still be refused on the next try.
/// </summary>
internal sealed class RetryPolicy
{
    /// <summary>Delays from a second up get up to this fraction added at random, so a burst of deliveries that failed
    /// together (an endpoint went down) does not come back as one burst.</summary>
    internal const double JitterFraction = 0.1;

    private readonly TimeSpan[] _schedule;
    private readonly TimeSpan _maxRetryAfter;
    private readonly Func<double> _random;

    public RetryPolicy(IOptions<DeliveryOptions> options) : this(options.Value.RetrySchedule, options.Value.MaxRetryAfter, Random.Shared.NextDouble)
    {
    }

    /// <param name="random">Uniform in [0, 1); tests pass a constant.</param>
    internal RetryPolicy(TimeSpan[] schedule, TimeSpan maxRetryAfter, Func<double> random)
    {
        _schedule = schedule;
        _maxRetryAfter = maxRetryAfter;
        _random = random;
    }

    /// <summary>When a delivery the Dispatcher could not attempt through its own fault (a secret it cannot decrypt) is
    /// claimed again: as long as a first retry waits, without an attempt being counted.</summary>
    public DateTimeOffset OwnFaultRetryAt(DateTimeOffset now) => now + (_schedule.Length > 0 ? _schedule[0] : TimeSpan.FromMinutes(1));

    /// <summary>The longest a delivery can stay live after it is created, from its first attempt to its last without a
    /// manual retry: every scheduled delay at its most jitter, or the longest Retry-After honoured if longer, plus a
    /// whole lease per attempt. Retention drops a week of deliveries only once its newest could have ended this long ago.</summary>
    public static TimeSpan LongestChain(DeliveryOptions options)
    {
        var chain = TimeSpan.Zero;
        foreach (var delay in options.RetrySchedule)
        {
            var most = delay >= TimeSpan.FromSeconds(1) ? delay * (1 + JitterFraction) : delay;
            chain += most > options.MaxRetryAfter ? most : options.MaxRetryAfter;
        }
        return chain + (options.RetrySchedule.Length + 1) * options.Lease;
    }

    /// <summary>Attempts a delivery gets before it is failed: the first plus one per scheduled retry.</summary>
    public int MaxAttempts => _schedule.Length + 1;

    /// <summary>The delivery's state after attempt <paramref name="number"/> ended with <paramref name="result"/>: success,
    /// retrying at the next attempt's due time, or failed for good.</summary>
    public DeliveryState StateAfter(int number, SendResult result, DateTimeOffset now)
    {
        if (result.Succeeded) return new DeliveryState(DeliveryStatus.Success, null, now);
        var next = NextAttemptAt(number, result.Outcome, result.ResponseStatus, result.RetryAfter, now);
        return next is null
            ? new DeliveryState(DeliveryStatus.Failed, null, now)
            : new DeliveryState(DeliveryStatus.Retrying, next, null);
    }

    /// <param name="attemptNumber">The 1-based number of the attempt that just failed.</param>
    /// <param name="statusCode">The response status, when there was one: 429 and 503 make <paramref name="retryAfter"/> count.</param>
    /// <param name="retryAfter">The endpoint's Retry-After, honoured when longer than the scheduled delay, up to MaxRetryAfter.</param>
    /// <returns>The next attempt's due time, or null when the delivery is final.</returns>
    public DateTimeOffset? NextAttemptAt(int attemptNumber, SendOutcome outcome, int? statusCode, TimeSpan? retryAfter, DateTimeOffset now)
    {
        if (outcome is SendOutcome.Success or SendOutcome.Blocked) return null;
        // A manual retry of a failed delivery makes one attempt past the schedule; its failure is final too.
        if (attemptNumber < 1 || attemptNumber >= MaxAttempts) return null;

        var delay = _schedule[attemptNumber - 1];
        if (delay >= TimeSpan.FromSeconds(1)) delay += delay * (JitterFraction * _random());
        if (statusCode is 429 or 503 && retryAfter is { } asked)
        {
            var honoured = asked < _maxRetryAfter ? asked : _maxRetryAfter;
            if (honoured > delay) delay = honoured;
        }
        return now + delay;
    }
}
