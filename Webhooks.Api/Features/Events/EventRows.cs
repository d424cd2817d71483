using Npgsql;
using NpgsqlTypes;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Events;

/// <summary>
/// The publish path's SQL, written by hand. Through EF (change tracking, a subscriber query, one INSERT per row,
/// BEGIN/COMMIT) a publish cost the Api ~1 ms of CPU and Postgres five statements; perf showed EF as the largest
/// share. Here one statement writes a whole request: every event, plus one delivery per event × live subscribed
/// webhook. The subscribers are chosen inside that statement, so a publish always sees the webhooks as committed at
/// that moment (a webhook created, changed, paused or deleted a moment earlier, by any Api or Dispatcher, is
/// respected) with no cache to go stale and no extra round trip. Parameters are positional ($n), which spares Npgsql
/// rewriting the SQL on every call, and the fixed texts let it auto-prepare them.
/// </summary>
internal static class EventRows
{
    /// <summary>A UUIDv7 for <c>$2</c>'s millisecond, like <c>Guid.CreateVersion7(now)</c>: the random UUIDv4's first
    /// 48 bits replaced by the unix milliseconds, version bits 0100 → 0111. Delivery ids are made in SQL because only
    /// the statement knows how many subscribers there are.</summary>
    private const string DeliveryId =
        "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing " +
        "substring(int8send(floor(extract(epoch FROM $2) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid";

    // $1 tenant, $2 now, $3 traceparent, $4..$7 one array element per event: id, type, payload, idempotency key.
    // The deliveries' foreign key check on events runs at the end of the statement, when the events are in.
    private const string InsertSql = $"""
        WITH new_events AS (
            INSERT INTO events (id, tenant_id, type, payload, idempotency_key, created_at, trace_parent)
            SELECT e.id, $1, e.type, e.payload::jsonb, e.idempotency_key, $2, $3
            FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) AS e(id, type, payload, idempotency_key)
            RETURNING id, type)
        INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, next_attempt_at, created_at)
        SELECT {DeliveryId}, $1, e.id, w.id, 'pending', 0, $2, $2
        FROM new_events e
        JOIN webhooks w ON w.tenant_id = $1 AND w.active AND w.deleted_at IS NULL AND w.events @> ARRAY[e.type::text]
        RETURNING event_id, id, webhook_id
        """;

    // $1 tenant, $2 idempotency keys. Deliveries in id order, as GET /v1/events/{id} lists them.
    private const string FindByKeysSql = """
        SELECT e.idempotency_key, e.id, e.type, e.created_at, d.id, d.webhook_id, d.status
        FROM events e LEFT JOIN deliveries d ON d.event_id = e.id
        WHERE e.tenant_id = $1 AND e.idempotency_key = ANY($2::text[])
        ORDER BY e.id, d.id
        """;

    /// <summary>A new event's row, before it is written.</summary>
    public readonly record struct NewEvent(Guid Id, string Type, string Payload, string? IdempotencyKey);

    /// <summary>A delivery the insert created: which event, its id, which webhook.</summary>
    public readonly record struct NewDelivery(Guid EventId, Guid Id, Guid WebhookId);

    /// <summary>
    /// Inserts the events and their deliveries in one statement, hence one transaction: all or nothing. It returns
    /// only once Postgres has committed, so the caller may schedule the deliveries. A concurrent publish of the same
    /// idempotency key fails it with a unique violation.
    /// </summary>
    public static async Task<List<NewDelivery>> InsertAsync(NpgsqlConnection connection, Guid tenantId, DateTimeOffset now,
        string? traceParent, IReadOnlyList<NewEvent> events, CancellationToken ct)
    {
        var ids = new Guid[events.Count];
        var types = new string[events.Count];
        var payloads = new string[events.Count];
        var keys = new string?[events.Count];
        for (var i = 0; i < events.Count; i++) (ids[i], types[i], payloads[i], keys[i]) = events[i];

        await using var command = new NpgsqlCommand(InsertSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid> { TypedValue = tenantId },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = now },
                new NpgsqlParameter { Value = (object?)traceParent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter<Guid[]> { TypedValue = ids },
                new NpgsqlParameter<string[]> { TypedValue = types },
                new NpgsqlParameter<string[]> { TypedValue = payloads },
                new NpgsqlParameter<string?[]> { TypedValue = keys },
            },
        };
        var deliveries = new List<NewDelivery>(events.Count);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                deliveries.Add(new NewDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2)));
            // Read to the end: an error raised at commit arrives after the rows, and must not be taken for success.
            while (await reader.NextResultAsync(ct)) { }
        }
        return deliveries;
    }

    /// <summary>The tenant's events already published under these idempotency keys, with their deliveries.</summary>
    public static async Task<Dictionary<string, PublishedEvent>> FindByKeysAsync(NpgsqlConnection connection, Guid tenantId,
        string[] keys, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(FindByKeysSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid> { TypedValue = tenantId },
                new NpgsqlParameter<string[]> { TypedValue = keys },
            },
        };
        var found = new Dictionary<string, PublishedEvent>(StringComparer.Ordinal);
        List<PublishedDelivery> deliveries = [];
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            // Rows come ordered by event, so one event's rows are consecutive.
            var key = reader.GetString(0);
            if (!found.ContainsKey(key))
            {
                deliveries = [];
                found[key] = new PublishedEvent(reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), deliveries);
            }
            if (!reader.IsDBNull(4))
                deliveries.Add(new PublishedDelivery(reader.GetGuid(4), reader.GetGuid(5), Enum.Parse<DeliveryStatus>(reader.GetString(6), ignoreCase: true)));
        }
        return found;
    }
}
