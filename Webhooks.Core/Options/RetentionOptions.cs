namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Retention</c>: how long finished deliveries are kept.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Webhooks:Retention";

    /// <summary>Successful deliveries older than this are deleted (default 90 days), ≥ 1 hour.</summary>
    public TimeSpan SuccessfulFor { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Failed deliveries older than this are deleted (default 120 days), ≥ 1 hour.</summary>
    public TimeSpan FailedFor { get; set; } = TimeSpan.FromDays(120);

    /// <summary>Cron expression in UTC (default <c>0 4 * * 0</c>, Sunday 04:00).</summary>
    public string Schedule { get; set; } = "0 4 * * 0";

    /// <summary>Rows deleted per statement (default 1000), so no statement holds locks for long. Only rows outside the
    /// weekly partitions, and the idempotency keys of weeks dropped whose keys have no partition of their own (those before
    /// the upgrade that partitioned them), are deleted row by row (see
    /// README "Retention at scale").</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>Weekly partitions of deliveries, attempts, events and idempotency keys created ahead of the current week (default 4), 1 – 52.</summary>
    public int PartitionsAhead { get; set; } = 4;
}
