using Npgsql;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Deliveries;

/// <summary>
/// The Dispatcher's read of a claim: the claimed deliveries with their events and webhooks, in one statement. Written
/// by hand: through EF the read cost the Dispatcher more CPU than the rest of an attempt's bookkeeping (query-cache
/// look-up, expression funcletizing and materializers for every claim), and it runs once per claim, however few
/// deliveries a claim holds.
/// </summary>
public static class ClaimedDeliveries
{
    private const string Sql = """
        SELECT d.id, d.tenant_id, d.webhook_id, d.status, d.attempt_count, d.next_attempt_at,
               d.event_id, e.type, e.payload::text, e.created_at, e.trace_parent,
               w.url, w.active, w.disabled_at, w.deleted_at, w.secret_ciphertext, w.previous_secret_ciphertext,
               w.previous_secret_expires_at
        FROM deliveries d
        JOIN events e ON e.id = d.event_id
        JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.id = ANY($1)
        """;

    /// <returns>The deliveries found, by id; an id Postgres does not know (retention removed it) is missing.</returns>
    public static async Task<Dictionary<Guid, DeliveryWork>> ReadAsync(NpgsqlConnection connection, Guid[] ids, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var works = new Dictionary<Guid, DeliveryWork>(ids.Length);
        while (await reader.ReadAsync(ct))
        {
            var work = new DeliveryWork(
                Id: reader.GetGuid(0),
                TenantId: reader.GetGuid(1),
                WebhookId: reader.GetGuid(2),
                Status: reader.GetFieldValue<DeliveryStatus>(3),
                AttemptCount: reader.GetInt32(4),
                NextAttemptAt: reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                EventId: reader.GetGuid(6),
                EventType: reader.GetString(7),
                Payload: reader.GetString(8),
                EventCreatedAt: reader.GetFieldValue<DateTimeOffset>(9),
                TraceParent: reader.IsDBNull(10) ? null : reader.GetString(10),
                Url: reader.GetString(11),
                Active: reader.GetBoolean(12),
                DisabledAt: reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13),
                DeletedAt: reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14),
                SecretCiphertext: reader.GetFieldValue<byte[]>(15),
                PreviousSecretCiphertext: reader.IsDBNull(16) ? null : reader.GetFieldValue<byte[]>(16),
                PreviousSecretExpiresAt: reader.IsDBNull(17) ? null : reader.GetFieldValue<DateTimeOffset>(17));
            works[work.Id] = work;
        }
        return works;
    }
}
