namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>What one retention run deleted.</summary>
/// <param name="Ran">False when another Dispatcher held the retention lock, so this one did nothing.</param>
/// <param name="Batches">DELETE statements that removed at least one row.</param>
/// <remarks>The counts are of rows deleted one by one (outside the weekly partitions); see <see cref="Weeks"/>.</remarks>
internal sealed record RetentionResult(bool Ran, int SuccessfulDeliveries, int FailedDeliveries, int Attempts, int Events, int Batches)
{
    public static readonly RetentionResult Skipped = new(false, 0, 0, 0, 0, 0);

    public int Deliveries => SuccessfulDeliveries + FailedDeliveries;

    /// <summary>Weeks of deliveries and attempts dropped whole (pairs of partitions); their rows are not counted above.</summary>
    public int Weeks { get; init; }

    /// <summary>Rows the dropped weeks held, as Postgres estimates them (no one counts rows about to be dropped).</summary>
    public long WeekRows { get; init; }

    /// <summary>Deliveries of the dropped weeks kept (not yet past retention, or live), moved to the DEFAULT partition.</summary>
    public int KeptDeliveries { get; init; }

    /// <summary>Weekly partitions of events dropped whole; their rows are not counted in <see cref="Events"/>.</summary>
    public int EventWeeks { get; init; }

    /// <summary>Rows the dropped weeks of events held, as Postgres estimates them.</summary>
    public long EventWeekRows { get; init; }

    /// <summary>Events of the dropped weeks kept (a delivery still refers to them), moved to the DEFAULT partition.</summary>
    public int KeptEvents { get; init; }

    /// <summary>Partitions of idempotency keys dropped whole: with their week of events, or (the keys' partition of
    /// everything before the upgrade that partitioned them) once no partition of events is left over their range.</summary>
    public int KeyWeeks { get; init; }

    /// <summary>Idempotency keys of weeks of events dropped whose keys had no partition of their own (weeks before that
    /// upgrade, or keys the DEFAULT partition took), deleted before each drop (the keys of events deleted row by row go
    /// with them and are not counted).</summary>
    public int EventWeekKeys { get; init; }

    /// <summary>Idempotency keys whose events were gone already: left by an older version, which deleted a week's keys
    /// after dropping it, and stopped in between.</summary>
    public int KeysOfDroppedEvents { get; init; }
}
