using Polly;
using Polly.Retry;

namespace Webhooks.Dispatcher.Claiming;

/// <summary>
/// The Dispatcher's one backoff: a Polly retry around each turn of the delivery loop. A turn fails when Redis (the
/// claim, the wake subscription) or Postgres (the claim's read) fails; the loop then pauses 0.25 s, doubling with each
/// failure in a row up to 10 s, and any turn that succeeds ends the pause. Deliveries caught by a failure stay in
/// flight and the lease reaper returns them, so nothing is lost by waiting; the pause only stops a dead dependency
/// from being hammered.
/// </summary>
internal sealed partial class ClaimBackoff
{
    internal static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(250);
    internal static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(10);

    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _time;
    private long _pausedUntilTicks;

    public ClaimBackoff(TimeProvider time, ILogger<ClaimBackoff> logger)
    {
        _time = time;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                // Any failure but the stop: a turn has nothing to give up on but the next one.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null
                    && !args.Context.CancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = FirstPause,
                MaxDelay = LongestPause,
                OnRetry = args =>
                {
                    Interlocked.Exchange(ref _pausedUntilTicks, (time.GetUtcNow() + args.RetryDelay).UtcTicks);
                    LogTurnFailed(logger, args.Outcome.Exception!, args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>How long the loop still pauses after its last failure; zero or less when it does not.</summary>
    public TimeSpan Remaining => new DateTimeOffset(Interlocked.Read(ref _pausedUntilTicks), TimeSpan.Zero) - _time.GetUtcNow();

    /// <summary>Runs one turn, and again after each pause until one succeeds or <paramref name="stopping"/> is cancelled.</summary>
    public ValueTask RunAsync(Func<CancellationToken, ValueTask> turn, CancellationToken stopping) => _pipeline.ExecuteAsync(turn, stopping);

    [LoggerMessage(LogLevel.Error, "Claiming due deliveries failed; trying again in {PauseMs} ms")]
    private static partial void LogTurnFailed(ILogger logger, Exception exception, double pauseMs);
}
