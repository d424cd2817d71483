using Npgsql;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Events;

/// <summary>The idempotency look-up of publishing, written by hand like the publish insert it precedes
/// (<see cref="Core.Deliveries.NewDeliveries"/>): positional parameters, a fixed text Npgsql auto-prepares.</summary>
internal static class EventRows
{
    // $1 tenant, $2 idempotency keys. Deliveries in id order, as GET /v1/events/{id} lists them.
    private const string FindByKeysSql = """
        SELECT e.idempotency_key, e.id, e.type, e.created_at, d.id, d.webhook_id, d.status
        FROM events e LEFT JOIN deliveries d ON d.event_id = e.id
        WHERE e.tenant_id = $1 AND e.idempotency_key = ANY($2::text[])
        ORDER BY e.id, d.id
        """;

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
                deliveries.Add(new PublishedDelivery(reader.GetGuid(4), reader.GetGuid(5), reader.GetFieldValue<DeliveryStatus>(6)));
        }
        return found;
    }
}
