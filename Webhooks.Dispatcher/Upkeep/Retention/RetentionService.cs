using Cronos;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;

namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>Runs <see cref="RetentionCleaner"/> at each occurrence of <c>Webhooks:Retention:Schedule</c> (UTC cron).</summary>
/// <remarks>An occurrence missed while no Dispatcher ran is not caught up: the next one deletes everything due by then.</remarks>
internal sealed partial class RetentionService(RetentionCleaner cleaner, TimeProvider time, IOptions<RetentionOptions> options,
    ILogger<RetentionService> logger) : BackgroundService
{
    // Long waits are taken in steps and re-checked against the clock, which may have been changed or jumped meanwhile.
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(24);

    /// <summary>The occurrence this instance waits for; null before it starts or after the schedule ends.</summary>
    public DateTimeOffset? NextRunAt { get; private set; }

    public RetentionResult? LastResult { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = CronExpression.Parse(options.Value.Schedule);
        while (true)
        {
            if (schedule.GetNextOccurrence(time.GetUtcNow(), TimeZoneInfo.Utc) is not { } occurrence)
            {
                NextRunAt = null;
                return;
            }
            LogNext(occurrence);
            for (var left = occurrence - time.GetUtcNow(); left > TimeSpan.Zero; left = occurrence - time.GetUtcNow())
            {
                var wait = Task.Delay(left < MaxWait ? left : MaxWait, time, stoppingToken);
                // Published once the timer exists: whoever sees it may move the clock and know the wait will notice.
                NextRunAt = occurrence;
                await wait;
            }

            try
            {
                LastResult = await cleaner.RunOnceAsync(occurrence, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Deleting is idempotent: the next occurrence removes whatever this one left.
                LogFailed(e, occurrence);
            }
        }
    }

    [LoggerMessage(LogLevel.Debug, "Next retention run at {Occurrence:O}")]
    private partial void LogNext(DateTimeOffset occurrence);

    [LoggerMessage(LogLevel.Error, "Retention run for {Occurrence:O} failed")]
    private partial void LogFailed(Exception exception, DateTimeOffset occurrence);
}
