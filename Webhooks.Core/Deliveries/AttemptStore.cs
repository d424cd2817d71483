using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Deliveries;

/// <summary>One finished attempt and the new state of its delivery, as <see cref="AttemptStore"/> writes them.</summary>
public readonly record struct AttemptRow(
    Guid DeliveryId,
    Guid WebhookId,
    int Number,
    DateTimeOffset StartedAt,
    int DurationMs,
    IReadOnlyDictionary<string, string> RequestHeaders,
    int? ResponseStatus,
    IReadOnlyDictionary<string, string>? ResponseHeaders,
    string? ResponseBody,
    string? Error,
    DeliveryStatus Status,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? CompletedAt);

/// <summary>
/// Records attempts: each delivery's new state and its attempt row, for any number of attempts in one statement, each
/// fenced by attempt number. A delivery is updated only while it still has <c>number - 1</c> attempts and is live, so
/// a worker whose lease expired mid-send (and whose delivery another worker has since attempted, or the Api ended)
/// writes nothing and cannot overwrite a newer result. One round trip and one commit for a batch is what lets the
/// Dispatcher record thousands of attempts a second.
/// </summary>
/// <remarks>Fenced update and attempt insert are data-modifying CTEs over arrays (one element per attempt): they all
/// run, and the insert sees which deliveries the fence let through. Positional parameters skip Npgsql's SQL parsing,
/// and the fixed text is auto-prepared (see WebhooksDatabase).</remarks>
public static class AttemptStore
{
    private const string Ctes = """
        WITH attempt AS (
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::int[], $6::jsonb[], $7::int[],
                                 $8::jsonb[], $9::text[], $10::text[], $11::delivery_status[], $12::timestamptz[],
                                 $13::timestamptz[], $14::uuid[])
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

    /// <summary>The store alone.</summary>
    public const string Sql = Ctes + "SELECT id FROM fenced";

    /// <summary>Parameters the store takes; a statement made by <see cref="SqlWith"/> numbers its own from here + 1.</summary>
    public const int ParameterCount = 14;

    /// <summary>
    /// The store plus one more data-modifying statement in the same round trip (and the same implicit transaction),
    /// given the subquery that selects the webhook ids of the attempts the fence let through.
    /// </summary>
    public static string SqlWith(Func<string, string> forStoredWebhooks) => Ctes + $"""
        , also AS (
            {forStoredWebhooks("SELECT a.webhook_id FROM attempt AS a JOIN fenced AS f ON f.id = a.delivery_id")}
        )
        SELECT id FROM fenced
        """;

    /// <summary>Runs <paramref name="command"/> (<see cref="Sql"/> or a <see cref="SqlWith"/> statement, with any parameters
    /// of its own already added) for these attempts.</summary>
    /// <returns>The ids of the deliveries whose attempt was stored; the others were refused by the fence.</returns>
    public static async Task<HashSet<Guid>> StoreAsync(NpgsqlCommand command, IReadOnlyList<AttemptRow> attempts, CancellationToken ct)
    {
        var n = attempts.Count;
        var ids = new Guid[n];
        var deliveryIds = new Guid[n];
        var webhookIds = new Guid[n];
        var numbers = new int[n];
        var durations = new int[n];
        var responseStatuses = new int?[n];
        var startedAt = new DateTimeOffset[n];
        var nextAttemptAt = new DateTimeOffset?[n];
        var completedAt = new DateTimeOffset?[n];
        var requestHeaders = new string[n];
        var statuses = new DeliveryStatus[n];
        var responseHeaders = new string?[n];
        var responseBodies = new string?[n];
        var errors = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var a = attempts[i];
            ids[i] = Guid.CreateVersion7(a.StartedAt);
            deliveryIds[i] = a.DeliveryId;
            webhookIds[i] = a.WebhookId;
            numbers[i] = a.Number;
            startedAt[i] = a.StartedAt;
            durations[i] = a.DurationMs;
            requestHeaders[i] = JsonSerializer.Serialize(a.RequestHeaders);
            responseStatuses[i] = a.ResponseStatus;
            responseHeaders[i] = a.ResponseHeaders is { } headers ? JsonSerializer.Serialize(headers) : null;
            responseBodies[i] = a.ResponseBody;
            errors[i] = Truncate(a.Error?.Replace('\0', '\uFFFD'), 2000); // an exception's text may quote what a receiver sent
            statuses[i] = a.Status;
            nextAttemptAt[i] = a.NextAttemptAt;
            completedAt[i] = a.CompletedAt;
        }

        NpgsqlParameter[] store =
        [
            new NpgsqlParameter<Guid[]> { TypedValue = ids },
            new NpgsqlParameter<Guid[]> { TypedValue = deliveryIds },
            new NpgsqlParameter<int[]> { TypedValue = numbers },
            new NpgsqlParameter<DateTimeOffset[]> { TypedValue = startedAt },
            new NpgsqlParameter<int[]> { TypedValue = durations },
            new NpgsqlParameter<string[]> { TypedValue = requestHeaders, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            new NpgsqlParameter<int?[]> { TypedValue = responseStatuses },
            new NpgsqlParameter<string?[]> { TypedValue = responseHeaders, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            new NpgsqlParameter<string?[]> { TypedValue = responseBodies, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            new NpgsqlParameter<string?[]> { TypedValue = errors, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            new NpgsqlParameter<DeliveryStatus[]> { TypedValue = statuses },
            new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = nextAttemptAt },
            new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = completedAt },
            new NpgsqlParameter<Guid[]> { TypedValue = webhookIds },
        ];
        for (var i = 0; i < store.Length; i++) command.Parameters.Insert(i, store[i]);

        var stored = new HashSet<Guid>(n);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) stored.Add(reader.GetGuid(0));
        return stored;
    }

    private static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
