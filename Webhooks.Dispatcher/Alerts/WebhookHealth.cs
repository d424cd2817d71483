using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Options;
using Webhooks.Dispatcher.Telemetry;

namespace Webhooks.Dispatcher.Alerts;

/// <summary>
/// Keeps a webhook's health in step with its attempts: a success resets the consecutive-failure count; a failure
/// increments it, alerts the webhook's creator and the tenant owner at each threshold (<c>Webhooks:Alerts:Thresholds</c>),
/// and disables the webhook at <c>Webhooks:Alerts:DisableAfter</c> or at once on a 410 Gone. Alerts and disables are
/// counted in the Dispatcher's metrics.
/// </summary>
/// <remarks>
/// Both methods run inside the caller's open transaction on <c>db</c> (see <see cref="Recording.AttemptBatch"/>), after
/// it has written the attempt and the delivery's new state, so an attempt that lost the fence counts nothing: a disable ends the webhook's live deliveries, this one included, so the caller must not
/// re-queue it when <see cref="FailureOutcome.Disabled"/> is true. The increment is a single
/// <c>UPDATE … RETURNING</c>, whose row lock is held until the caller commits: concurrent failures of one webhook
/// queue behind it and each sees a distinct count, so each threshold is reached by exactly one call. Notifications
/// are also inserted with <c>ON CONFLICT DO NOTHING</c> on a per-streak dedupe key, a second guard.
/// Under REPEATABLE READ or SERIALIZABLE the concurrent update fails instead of waiting; use READ COMMITTED.
/// </remarks>
internal sealed partial class WebhookHealth(TimeProvider time, IOptions<AlertsOptions> options, DispatcherMetrics metrics,
    ILogger<WebhookHealth> logger)
{
    public async Task<FailureOutcome> RecordFailureAsync(WebhooksDbContext db, Guid webhookId, Guid deliveryId, int? statusCode,
        string? error, CancellationToken ct)
    {
        var outcome = await CountFailureAsync(db, webhookId, deliveryId, statusCode, error, ct);
        metrics.WebhookHealthChanged(outcome);
        return outcome;
    }

    private async Task<FailureOutcome> CountFailureAsync(WebhooksDbContext db, Guid webhookId, Guid deliveryId, int? statusCode,
        string? error, CancellationToken ct)
    {
        var startedAt = time.GetUtcNow();
        var newStreak = Guid.CreateVersion7(startedAt);
        // The first failure after a reset (a success, or a re-enable, which zeroes the count) starts a new streak.
        var rows = await db.Database.SqlQuery<FailedWebhook>($"""
            UPDATE webhooks AS w
            SET consecutive_failures = w.consecutive_failures + 1,
                last_failure_at = GREATEST(w.last_failure_at, {startedAt}),
                failure_streak_id = CASE WHEN w.consecutive_failures = 0 OR w.failure_streak_id IS NULL
                                         THEN {newStreak} ELSE w.failure_streak_id END
            FROM tenants AS t
            WHERE w.id = {webhookId} AND t.id = w.tenant_id
            RETURNING w.consecutive_failures, w.failure_streak_id, w.tenant_id, w.url, w.active,
                      (w.deleted_at IS NOT NULL) AS deleted, w.created_by_user_id, t.owner_user_id
            """).ToListAsync(ct);
        if (rows.Count == 0) return new FailureOutcome(0, false);

        var webhook = rows[0];
        var count = webhook.ConsecutiveFailures;
        // Read after the row lock is ours: calls that queued behind each other then stamp their alerts in count order.
        var now = time.GetUtcNow();
        // A paused, disabled or deleted webhook still counts failures of attempts already in flight, but alerts only
        // about live ones: this also stops the failures after a disable from alerting again.
        if (!webhook.Active || webhook.Deleted) return new FailureOutcome(count, false);

        var settings = options.Value;
        var failure = new FailureContext(webhookId, deliveryId, webhook.Url, statusCode, error);
        var streak = webhook.FailureStreakId!.Value;
        var recipients = new[] { webhook.CreatedByUserId, webhook.OwnerUserId }.OfType<Guid>().Distinct().ToArray();
        var sent = 0;

        var crossed = settings.Thresholds.Contains(count) ? new[] { count } : [];
        if (crossed.Length > 0)
        {
            sent += await NotifyAsync(db, webhook.TenantId, recipients, webhookId, NotificationKinds.WebhookFailing,
                FailureAlerts.FailingMessage(webhook.Url, count, statusCode, error), FailureAlerts.Details(failure, count, null),
                FailureAlerts.FailingKey(count, streak), now, ct);
            LogFailing(webhookId, OriginOf(webhook.Url), count, FailureAlerts.LastCause(statusCode, error));
        }

        if (count < settings.DisableAfter && statusCode != FailureAlerts.GoneStatusCode)
            return new FailureOutcome(count, false) { ThresholdsCrossed = crossed, NotificationsSent = sent };

        var reason = FailureAlerts.DisabledReason(count, statusCode, error);
        var ended = await DisableAsync(db, webhookId, reason, now, ct);
        sent += await NotifyAsync(db, webhook.TenantId, recipients, webhookId, NotificationKinds.WebhookDisabled,
            FailureAlerts.DisabledMessage(webhook.Url, count, statusCode, error), FailureAlerts.Details(failure, count, reason),
            FailureAlerts.DisabledKey(streak, count), now, ct);
        LogDisabled(webhookId, OriginOf(webhook.Url), reason, ended);
        return new FailureOutcome(count, true) { ThresholdsCrossed = crossed, NotificationsSent = sent, DeliveriesEnded = ended };
    }

    /// <summary>How stale <c>last_success_at</c> may be: see <see cref="SuccessStampSql"/>.</summary>
    public static readonly TimeSpan SuccessStampResolution = TimeSpan.FromSeconds(1);

    /// <summary>Records that each of these webhooks just succeeded (one statement for a whole batch of attempts).</summary>
    public async Task RecordSuccessesAsync(WebhooksDbContext db, IReadOnlyCollection<Guid> webhookIds, CancellationToken ct)
    {
        if (webhookIds.Count == 0) return;
        var now = time.GetUtcNow();
        await using var command = await db.CreateCommandAsync(SuccessStampSql("SELECT unnest($1::uuid[])", "$2", "$3"), ct);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = webhookIds as Guid[] ?? webhookIds.ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now - SuccessStampResolution });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The success stamp as SQL, for the webhooks that <paramref name="webhookIds"/> (a subquery) selects, so that a
    /// statement recording attempts can stamp in the same round trip. <paramref name="now"/> and
    /// <paramref name="staleBefore"/> (now − <see cref="SuccessStampResolution"/>) are parameters or expressions.
    /// </summary>
    /// <remarks>
    /// A healthy webhook succeeds thousands of times a second under load, and every write to its row holds the row
    /// lock until the attempt's commit (an fsync), which would serialize all its deliveries. So the row is written only
    /// when the count must be reset or last_success_at is more than a second old, and SKIP LOCKED lets every other
    /// success go by while one transaction holds the row: that one is recording the same news. (A failure holding the
    /// row at that instant keeps its count: concurrent outcomes have no order anyway.) It never waits for a lock, but it
    /// holds the ones it takes: in a transaction that also records failures it must run after them, or it could hold a
    /// row that another writer's failure waits for while itself waiting for that writer's.
    /// </remarks>
    public static string SuccessStampSql(string webhookIds, string now, string staleBefore) => $"""
        UPDATE webhooks SET consecutive_failures = 0, last_success_at = {now}, failure_streak_id = NULL
        WHERE id IN (SELECT id FROM webhooks WHERE id IN ({webhookIds})
                       AND (consecutive_failures <> 0 OR last_success_at IS NULL OR last_success_at < {staleBefore})
                     ORDER BY id
                     FOR NO KEY UPDATE SKIP LOCKED)
        """;

    /// <summary>Deactivates the webhook and ends its pending and retrying deliveries; returns how many ended.</summary>
    private static async Task<int> DisableAsync(WebhooksDbContext db, Guid webhookId, string reason, DateTimeOffset now, CancellationToken ct)
    {
        await db.Database.ExecuteSqlAsync($"""
            UPDATE webhooks SET active = false, disabled_at = {now}, disabled_reason = {reason}, updated_at = {now}
            WHERE id = {webhookId}
            """, ct);
        // SKIP LOCKED: a sibling delivery another Dispatcher worker is recording right now is locked by that worker,
        // which in turn waits for this webhook row; waiting for it here would deadlock. That worker's delivery is
        // ended when it next comes due (the processor ends deliveries of a disabled webhook).
        return await DeliveryEnding.EndLiveOfWebhookAsync(db, webhookId, reason, now, skipLocked: true, ct);
    }

    private static async Task<int> NotifyAsync(WebhooksDbContext db, Guid tenantId, Guid[] recipients, Guid webhookId,
        string kind, string message, string details, string dedupKey, DateTimeOffset now, CancellationToken ct)
    {
        var sent = 0;
        foreach (var userId in recipients)
        {
            sent += await db.Database.ExecuteSqlAsync($"""
                INSERT INTO notifications (id, tenant_id, user_id, webhook_id, kind, message, details, dedup_key, created_at)
                VALUES ({Guid.CreateVersion7(now)}, {tenantId}, {userId}, {webhookId}, {kind}, {message}, CAST({details} AS jsonb),
                        {dedupKey}, {now})
                ON CONFLICT (user_id, webhook_id, dedup_key) DO NOTHING
                """, ct);
        }
        return sent;
    }

    /// <summary>What the logs show of a webhook's URL: its scheme, host and port. Receivers often carry a credential in
    /// the path, query or user info (a chat incoming-webhook token, say), and logs travel further than the database.</summary>
    internal static string OriginOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}" : "(not an absolute URL)";

    [LoggerMessage(LogLevel.Warning, "Webhook {WebhookId} ({Url}) has failed {ConsecutiveFailures} times in a row; last: {LastCause}")]
    private partial void LogFailing(Guid webhookId, string url, int consecutiveFailures, string lastCause);

    [LoggerMessage(LogLevel.Warning, "Webhook {WebhookId} ({Url}) disabled: {Reason}; {DeliveriesEnded} live deliveries ended")]
    private partial void LogDisabled(Guid webhookId, string url, string reason, int deliveriesEnded);

    /// <summary>The webhook row after the increment, with its tenant's owner (columns snake_case, as the model's).</summary>
    private sealed record FailedWebhook(int ConsecutiveFailures, Guid? FailureStreakId, Guid TenantId, string Url, bool Active,
        bool Deleted, Guid CreatedByUserId, Guid? OwnerUserId);
}
