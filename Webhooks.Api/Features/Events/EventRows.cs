using Npgsql;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Events;

/// <summary>The idempotency look-up of publishing, written by hand like the publish insert it precedes
/// (<see cref="Core.Deliveries.NewDeliveries"/>): positional parameters, a fixed text Npgsql auto-prepares.</summary>
internal static class EventRows
{
    // $1 tenant; $2, $3, $4 the request's idempotency keys with the type and data each came with. Deliveries in id
    // order, as GET /v1/events/{id} lists them. The comparison runs once per event (in the CTE), not per delivery row;
    // jsonb equality ignores key order and whitespace, so a repeat that serializes the same data differently still matches.
    // The key is found in idempotency_keys (a probe of each weekly partition's unique index on tenant and key; only the
    // key's own row, not a guard row of the same event or of one that lost a race: see KeyGuard), then its event by id
    // (one partition's primary key).
    private const string FindByKeysSql = """
        WITH found AS (
            SELECT k.key, e.id, e.type, e.created_at, (e.type = r.type AND e.payload = r.payload::jsonb) AS same
            FROM unnest($2::text[], $3::text[], $4::text[]) AS r(idempotency_key, type, payload)
            JOIN idempotency_keys k ON k.tenant_id = $1 AND k.key = r.idempotency_key AND k.guard_id IS NULL
            JOIN events e ON e.id = k.event_id)
        SELECT f.key, f.id, f.type, f.created_at, f.same, d.id, d.webhook_id, d.status
        FROM found f LEFT JOIN deliveries d ON d.event_id = f.id
        ORDER BY f.id, d.id
        """;

    /// <summary>An event already published under a key, and whether the request repeats its type and data.</summary>
    public sealed record Found(PublishedEvent Event, bool SameTypeAndData);

    /// <summary>The tenant's events already published under these idempotency keys, with their deliveries.</summary>
    /// <param name="requested">Each distinct key of the request with the (first) event that carries it.</param>
    public static async Task<Dictionary<string, Found>> FindByKeysAsync(NpgsqlConnection connection, Guid tenantId,
        IReadOnlyDictionary<string, EventToPublish> requested, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(FindByKeysSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid> { TypedValue = tenantId },
                new NpgsqlParameter<string[]> { TypedValue = requested.Keys.ToArray() },
                new NpgsqlParameter<string[]> { TypedValue = requested.Values.Select(e => e.Type).ToArray() },
                new NpgsqlParameter<string[]> { TypedValue = requested.Values.Select(e => e.Data.GetRawText()).ToArray() },
            },
        };
        var found = new Dictionary<string, Found>(StringComparer.Ordinal);
        List<PublishedDelivery> deliveries = [];
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            // Rows come ordered by event, so one event's rows are consecutive.
            var key = reader.GetString(0);
            if (!found.ContainsKey(key))
            {
                deliveries = [];
                found[key] = new Found(
                    new PublishedEvent(reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), deliveries),
                    reader.GetBoolean(4));
            }
            if (!reader.IsDBNull(5))
                deliveries.Add(new PublishedDelivery(reader.GetGuid(5), reader.GetGuid(6), reader.GetFieldValue<DeliveryStatus>(7)));
        }
        return found;
    }
}
