using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Core.Alerts;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Dispatcher.Processing;

/// <summary>The new state of a delivery after one attempt.</summary>
internal sealed record DeliveryState(DeliveryStatus Status, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);

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
/// Writes attempts and their deliveries' new states in one transaction, each fenced by attempt number: a delivery is
/// updated only while it still has <c>number - 1</c> attempts and is live. A worker whose lease expired mid-send (and
/// whose delivery another worker has since attempted, or the Api ended) therefore writes nothing and cannot overwrite
/// a newer result. Many attempts go in one statement (see <see cref="AttemptWriter"/>): one round trip and one commit
/// for a batch is what lets the Dispatcher record thousands of attempts a second.
/// </summary>
internal sealed class AttemptRecorder(WebhookHealthRecorder health, TimeProvider time)
{
    // Fenced update and attempt insert in one statement over arrays (one element per attempt). Data-modifying CTEs
    // all run, and the insert sees which deliveries the fence let through; positional parameters skip Npgsql's SQL
    // parsing, and the statement is auto-prepared (see CoreExtensions).
    private const string StoreCtes = """
        WITH attempt AS (
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::int[], $6::jsonb[], $7::int[],
                                 $8::jsonb[], $9::text[], $10::text[], $11::delivery_status[], $12::timestamptz[], $13::timestamptz[],
                                 $14::uuid[])
                AS a(id, delivery_id, number, started_at, duration_ms, request_headers, response_status,
                     response_headers, response_body, error, status, next_attempt_at, completed_at, webhook_id)
        ), fenced AS (
            UPDATE deliveries AS d
            SET attempt_count = a.number, status = a.status, next_attempt_at = a.next_attempt_at, completed_at = a.completed_at
            FROM attempt AS a
            WHERE d.id = a.delivery_id AND d.attempt_count = a.number - 1 AND d.status IN ('pending', 'retrying')
            RETURNING d.id
        ), inserted AS (
            INSERT INTO delivery_attempts (id, delivery_id, number, started_at, duration_ms, request_headers,
                                           response_status, response_headers, response_body, error)
            SELECT a.id, a.delivery_id, a.number, a.started_at, a.duration_ms, a.request_headers,
                   a.response_status, a.response_headers, a.response_body, a.error
            FROM attempt AS a JOIN fenced AS f ON f.id = a.delivery_id
        )
        """;

    private const string StoreSql = StoreCtes + "SELECT id FROM fenced";

    // A batch of successes only: the stamp of their webhooks joins the same statement, which then needs no explicit
    // transaction (one statement is atomic): one round trip instead of four (BEGIN, store, stamp, COMMIT).
    private static readonly string StoreSuccessesSql = StoreCtes + $"""
        , stamped AS (
            {WebhookFailureTracker.SuccessStampSql(
                "SELECT a.webhook_id FROM attempt AS a JOIN fenced AS f ON f.id = a.delivery_id", "$15", "$16")}
        )
        SELECT id FROM fenced
        """;

    public async Task<AttemptRecord> RecordAsync(WebhooksDbContext db, DeliveryWork work, int number, SendResult result,
        DeliveryState state, CancellationToken ct) =>
        (await RecordAsync(db, [new AttemptToRecord(work, number, result, state)], ct))[0];

    /// <returns>One record per attempt, in the same order.</returns>
    public async Task<AttemptRecord[]> RecordAsync(WebhooksDbContext db, IReadOnlyList<AttemptToRecord> attempts, CancellationToken ct)
    {
        if (attempts.All(a => a.Result.Succeeded)) return await RecordSuccessesAsync(db, attempts, ct);

        // Aspire's Npgsql context retries transient failures; a user transaction must run inside its strategy.
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async cancellation =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellation);
            var stored = await StoreAsync(db, StoreSql, attempts, null, cancellation);
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
                else records[i] = new AttemptRecord(true, await health.RecordFailureAsync(db, work.WebhookId, work.Id, result, cancellation));
            }
            await health.RecordSuccessesAsync(db, succeeded, cancellation);
            await transaction.CommitAsync(cancellation);
            return records;
        }, ct);
    }

    private async Task<AttemptRecord[]> RecordSuccessesAsync(WebhooksDbContext db, IReadOnlyList<AttemptToRecord> attempts, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var stored = await StoreAsync(db, StoreSuccessesSql, attempts, (now, now - WebhookFailureTracker.SuccessStampResolution), ct);
        var records = new AttemptRecord[attempts.Count];
        for (var i = 0; i < attempts.Count; i++)
            records[i] = stored.Contains(attempts[i].Work.Id) ? AttemptRecord.StoredSuccess : AttemptRecord.Fenced;
        return records;
    }

    private static async Task<HashSet<Guid>> StoreAsync(WebhooksDbContext db, string sql, IReadOnlyList<AttemptToRecord> attempts,
        (DateTimeOffset Now, DateTimeOffset StaleBefore)? stamp, CancellationToken ct)
    {
        var n = attempts.Count;
        var columns = new AttemptColumns(n);
        for (var i = 0; i < n; i++) columns.Set(i, attempts[i]);

        await using var command = await db.CreateCommandAsync(sql, ct);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = columns.Ids });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = columns.DeliveryIds });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = columns.Numbers });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = columns.StartedAt });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = columns.DurationsMs });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = columns.RequestHeaders, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = columns.ResponseStatuses });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = columns.ResponseHeaders, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = columns.ResponseBodies, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = columns.Errors, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DeliveryStatus[]> { TypedValue = columns.Statuses });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = columns.NextAttemptAt });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = columns.CompletedAt });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = columns.WebhookIds });
        if (stamp is var (now, staleBefore))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = staleBefore });
        }

        var stored = new HashSet<Guid>(n);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) stored.Add(reader.GetGuid(0));
        return stored;
    }

    /// <summary>Ends a delivery that will get no attempt (its webhook was disabled or deleted).</summary>
    public static Task<int> EndAsync(WebhooksDbContext db, Guid deliveryId, string reason, DateTimeOffset now, CancellationToken ct) =>
        db.Deliveries
            .Where(d => d.Id == deliveryId && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeliveryStatus.Failed)
                .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(d => d.CompletedAt, now)
                .SetProperty(d => d.LastError, reason), ct);

    /// <summary>The attempts as parallel arrays, one per column of <see cref="StoreSql"/>'s unnest.</summary>
    private sealed class AttemptColumns(int n)
    {
        public readonly Guid[] Ids = new Guid[n], DeliveryIds = new Guid[n], WebhookIds = new Guid[n];
        public readonly int[] Numbers = new int[n], DurationsMs = new int[n];
        public readonly int?[] ResponseStatuses = new int?[n];
        public readonly DateTimeOffset[] StartedAt = new DateTimeOffset[n];
        public readonly DateTimeOffset?[] NextAttemptAt = new DateTimeOffset?[n], CompletedAt = new DateTimeOffset?[n];
        public readonly string[] RequestHeaders = new string[n];
        public readonly DeliveryStatus[] Statuses = new DeliveryStatus[n];
        public readonly string?[] ResponseHeaders = new string?[n], ResponseBodies = new string?[n], Errors = new string?[n];

        public void Set(int i, AttemptToRecord attempt)
        {
            var (work, number, result, state) = attempt;
            Ids[i] = Guid.CreateVersion7(result.StartedAt);
            DeliveryIds[i] = work.Id;
            WebhookIds[i] = work.WebhookId;
            Numbers[i] = number;
            StartedAt[i] = result.StartedAt;
            DurationsMs[i] = result.DurationMs;
            RequestHeaders[i] = JsonSerializer.Serialize(result.RequestHeaders);
            ResponseStatuses[i] = result.ResponseStatus;
            ResponseHeaders[i] = result.ResponseHeaders is { } headers ? JsonSerializer.Serialize(headers) : null;
            ResponseBodies[i] = result.ResponseBody;
            Errors[i] = Truncate(result.Error?.Replace('\0', '\uFFFD'), 2000); // an exception's text may quote what a receiver sent
            Statuses[i] = state.Status;
            NextAttemptAt[i] = state.NextAttemptAt;
            CompletedAt[i] = state.CompletedAt;
        }

        private static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
    }
}
