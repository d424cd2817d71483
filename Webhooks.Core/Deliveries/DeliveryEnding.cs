using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Deliveries;

/// <summary>
/// Every statement that ends deliveries without an attempt: <c>failed</c>, completed now, with the reason in
/// <c>last_error</c>. Only live (pending or retrying) ones: a final delivery stays as it ended. Each runs inside the
/// caller's transaction on <c>db</c>, if it has one. Ids still in the Redis schedule are harmless: the Dispatcher finds
/// the rows final and drops them.
/// </summary>
public static class DeliveryEnding
{
    public const string WebhookDeleted = "webhook deleted";
    public const string WebhookDisabled = "webhook disabled";

    /// <summary>Ends one delivery, whose webhook was disabled or deleted after it was published.</summary>
    public static Task<int> EndAsync(WebhooksDbContext db, Guid deliveryId, string reason, DateTimeOffset now, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"""
            UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, completed_at = {now}, last_error = {reason}
            WHERE id = {deliveryId} AND status IN ('pending', 'retrying')
            """, ct);

    /// <summary>Ends every live delivery of the webhook (deleted, or disabled by its failures).</summary>
    /// <param name="skipLocked">Leave the deliveries someone else is writing right now (see the Dispatcher's disable,
    /// which would otherwise deadlock with them) instead of waiting for them.</param>
    /// <returns>How many ended.</returns>
    public static Task<int> EndLiveOfWebhookAsync(WebhooksDbContext db, Guid webhookId, string reason, DateTimeOffset now, bool skipLocked,
        CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync(skipLocked ? EndLiveSql + " SKIP LOCKED)" : EndLiveSql + ")", [now, reason, webhookId], ct);

    private const string EndLiveSql = """
        UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, completed_at = {0}, last_error = {1}
        WHERE id IN (SELECT id FROM deliveries WHERE webhook_id = {2} AND status IN ('pending', 'retrying') FOR UPDATE
        """;
}
