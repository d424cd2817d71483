using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Dispatcher.Alerts;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Dispatcher.Sending;
using Webhooks.Dispatcher.Retrying;

namespace Webhooks.Dispatcher.Recording;

/// <summary>One finished attempt, waiting to be recorded.</summary>
internal sealed record AttemptToRecord(DeliveryWork Work, int Number, SendResult Result, DeliveryState State);

/// <summary>Whether the attempt was stored (false: the fence refused it), and what a failure did to its webhook.</summary>
internal sealed record AttemptRecord(bool Stored, FailureOutcome? Failure = null)
{
    public static readonly AttemptRecord Fenced = new(false);
    public static readonly AttemptRecord StoredSuccess = new(true);

    /// <summary>The failure disabled the webhook, which ended this delivery too: it must not be rescheduled.</summary>
    public bool DisabledWebhook => Failure?.Disabled == true;
}

/// <summary>
/// Records a batch of attempts in one transaction: their deliveries' new states and attempt rows, fenced by attempt
/// number (<see cref="AttemptStore"/>), then what they mean for their webhooks (<see cref="WebhookHealth"/>),
/// which counts only the attempts the fence let through. <see cref="AttemptRecorder"/> gathers the batches.
/// </summary>
internal sealed class AttemptBatch(WebhookHealth health, TimeProvider time)
{
    // A batch of successes only: the stamp of their webhooks joins the same statement, which then needs no explicit
    // transaction (one statement is atomic): one round trip instead of four (BEGIN, store, stamp, COMMIT).
    private static readonly string StoreSuccessesSql = AttemptStore.SqlWith(storedWebhooks =>
        WebhookHealth.SuccessStampSql(storedWebhooks, $"${AttemptStore.ParameterCount + 1}", $"${AttemptStore.ParameterCount + 2}"));

    /// <returns>One record per attempt, in the same order.</returns>
    public async Task<AttemptRecord[]> RecordAsync(WebhooksDbContext db, IReadOnlyList<AttemptToRecord> attempts, CancellationToken ct)
    {
        if (attempts.All(a => a.Result.Succeeded)) return await RecordSuccessesAsync(db, attempts, ct);

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var stored = await StoreAsync(db, AttemptStore.Sql, attempts, stamp: null, ct);
        var records = new AttemptRecord[attempts.Count];
        var succeeded = new HashSet<Guid>();
        // Failures in webhook order: each holds its webhook's row lock until the commit, and one order for all
        // writers means two Dispatchers recording failures of the same two webhooks cannot deadlock.
        foreach (var i in Enumerable.Range(0, attempts.Count).OrderBy(i => attempts[i].Work.WebhookId))
        {
            var (work, _, result, _) = attempts[i];
            if (!stored.Contains(work.Id)) records[i] = AttemptRecord.Fenced;
            else if (result.Succeeded)
            {
                succeeded.Add(work.WebhookId);
                records[i] = AttemptRecord.StoredSuccess;
            }
            else records[i] = new AttemptRecord(true, await health.RecordFailureAsync(db, work.WebhookId, work.Id, result.ResponseStatus, result.Error, ct));
        }
        await health.RecordSuccessesAsync(db, succeeded, ct);
        await transaction.CommitAsync(ct);
        return records;
    }

    private async Task<AttemptRecord[]> RecordSuccessesAsync(WebhooksDbContext db, IReadOnlyList<AttemptToRecord> attempts, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var stored = await StoreAsync(db, StoreSuccessesSql, attempts, (now, now - WebhookHealth.SuccessStampResolution), ct);
        var records = new AttemptRecord[attempts.Count];
        for (var i = 0; i < attempts.Count; i++)
            records[i] = stored.Contains(attempts[i].Work.Id) ? AttemptRecord.StoredSuccess : AttemptRecord.Fenced;
        return records;
    }

    private static async Task<HashSet<Guid>> StoreAsync(WebhooksDbContext db, string sql, IReadOnlyList<AttemptToRecord> attempts,
        (DateTimeOffset Now, DateTimeOffset StaleBefore)? stamp, CancellationToken ct)
    {
        await using var command = await db.CreateCommandAsync(sql, ct);
        if (stamp is var (now, staleBefore))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = staleBefore });
        }
        return await AttemptStore.StoreAsync(command, attempts.Select(Row).ToList(), ct);
    }

    private static AttemptRow Row(AttemptToRecord attempt)
    {
        var (work, number, result, state) = attempt;
        return new AttemptRow(work.Id, work.WebhookId, number, result.StartedAt, result.DurationMs, result.RequestHeaders,
            result.ResponseStatus, result.ResponseHeaders, result.ResponseBody, result.Error, state.Status, state.NextAttemptAt,
            state.CompletedAt);
    }
}
