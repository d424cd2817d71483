using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;
using Webhooks.Events;

namespace Webhooks.Core.Deliveries;

/// <summary>
/// Every statement that creates deliveries: publishing (events and their deliveries, one statement for any number of
/// events) and the ping of one webhook. Once they return, the rows are committed and the caller schedules them
/// (<see cref="DeliveryScheduler"/>).
/// </summary>
/// <remarks>
/// The publish insert is written by hand: through EF (change tracking, a subscriber query, one INSERT per row,
/// BEGIN/COMMIT) a publish cost the Api ~1 ms of CPU and Postgres five statements; perf showed EF as the largest share.
/// The subscribers are chosen inside the statement, so a publish always sees the webhooks as committed at that moment
/// (a webhook created, changed, paused or deleted a moment earlier, by any Api or Dispatcher, is respected), with no
/// cache to go stale and no extra round trip. Every column is an array of one element per event, so rows of several
/// tenants and requests can share a statement (the Api's group commit). Parameters are positional ($n), which spares
/// Npgsql rewriting the SQL on every call, and the fixed text lets it auto-prepare.
/// </remarks>
public static class NewDeliveries
{
    /// <summary>A UUIDv7 for the event's millisecond, like <c>Guid.CreateVersion7(createdAt)</c>: a random UUIDv4
    /// whose first 48 bits become the unix milliseconds and whose version bits 0100 become 0111. Delivery ids are
    /// made in SQL because only the statement knows how many subscribers there are.</summary>
    private const string DeliveryId =
        "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing " +
        "substring(int8send(floor(extract(epoch FROM e.created_at) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid";

    // A key is unique per tenant in idempotency_keys (partitioned by week like events, each week's partition holding a
    // unique index on (tenant, key); see KeyGuard): the keys go in first, and an event is written only if it has no key
    // or its key got in. An event made within KeyGuard.Window after its week began ($8, its guard's id) writes its guard
    // row into the previous week first, and its own row only if the guard got in: so two publishes of one key on either
    // side of a week's start meet on one unique index. ON CONFLICT names no index (none on the parent can make a key
    // unique): it checks the unique index of the partition the row goes to. An event whose key is already taken (by a
    // concurrent publish, which this waits for, or earlier in this statement) is skipped rather than failing the
    // statement, so it never fails the requests it shares the write with; the last branch names the skipped events (a
    // row with no delivery) so their publisher can look the winner up. A guard that got in for an event whose own row
    // then did not is left behind: it names no event, and sits in a week older than the key's winner, dropped before it.
    private const string PublishSql = $"""
        WITH keyed AS (
            SELECT k.id, k.tenant_id, k.key, k.guard_id FROM unnest($1::uuid[], $2::uuid[], $5::text[], $8::uuid[]) AS k(id, tenant_id, key, guard_id)
            WHERE k.key IS NOT NULL),
        new_guards AS (
            INSERT INTO idempotency_keys (tenant_id, key, event_id, guard_id)
            SELECT tenant_id, key, id, guard_id FROM keyed WHERE guard_id IS NOT NULL
            ON CONFLICT DO NOTHING
            RETURNING event_id),
        new_keys AS (
            INSERT INTO idempotency_keys (tenant_id, key, event_id)
            SELECT tenant_id, key, id FROM keyed WHERE guard_id IS NULL OR id IN (SELECT event_id FROM new_guards)
            ON CONFLICT DO NOTHING
            RETURNING event_id),
        new_events AS (
            INSERT INTO events (id, tenant_id, type, payload, idempotency_key, created_at, trace_parent)
            SELECT e.id, e.tenant_id, e.type, e.payload::jsonb, e.idempotency_key, e.created_at, e.trace_parent
            FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
                AS e(id, tenant_id, type, payload, idempotency_key, created_at, trace_parent)
            WHERE e.idempotency_key IS NULL OR e.id IN (SELECT event_id FROM new_keys)
            RETURNING id, tenant_id, type, created_at),
        new_deliveries AS (
            INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, next_attempt_at, created_at)
            SELECT {DeliveryId}, e.tenant_id, e.id, w.id, 'pending', 0, e.created_at, e.created_at
            FROM new_events e
            JOIN webhooks w ON w.tenant_id = e.tenant_id AND w.active AND w.deleted_at IS NULL AND w.events @> ARRAY[e.type::text]
            RETURNING event_id, id, webhook_id, tenant_id, next_attempt_at)
        SELECT event_id, id, webhook_id, tenant_id, next_attempt_at FROM new_deliveries
        UNION ALL
        SELECT k.id, NULL, NULL, NULL, NULL FROM unnest($1::uuid[], $5::text[]) AS k(id, idempotency_key)
        WHERE k.idempotency_key IS NOT NULL AND k.id NOT IN (SELECT id FROM new_events)
        """;

    /// <summary>A new event's row, before it is written.</summary>
    public readonly record struct NewEvent(
        Guid Id, Guid TenantId, string Type, string Payload, string? IdempotencyKey, DateTimeOffset CreatedAt, string? TraceParent);

    /// <summary>A delivery the insert created: which event, its id, which webhook of which tenant, when it is due.</summary>
    public readonly record struct NewDelivery(Guid EventId, Guid Id, Guid WebhookId, Guid TenantId, DateTimeOffset DueAt)
    {
        /// <summary>As the schedule holds it.</summary>
        public QueuedDelivery Queued => new(Id, WebhookId, TenantId);
    }

    /// <summary>What a publish insert did: the deliveries it created, and the events it skipped because their
    /// idempotency key was already taken (none of their deliveries were made).</summary>
    public sealed record Published(List<NewDelivery> Deliveries, HashSet<Guid> TakenKeyEvents);

    /// <summary>
    /// Inserts the events and one pending delivery per event × live webhook of its tenant subscribed to its type, in
    /// one statement, hence one transaction: all or nothing. It returns only once Postgres has committed. An event whose
    /// idempotency key the tenant already used (committed by a concurrent publish, or earlier in this statement) is
    /// skipped, and reported in <see cref="Published.TakenKeyEvents"/>.
    /// </summary>
    public static async Task<Published> PublishAsync(NpgsqlConnection connection, IReadOnlyList<NewEvent> events, CancellationToken ct)
    {
        var ids = new Guid[events.Count];
        var tenants = new Guid[events.Count];
        var types = new string[events.Count];
        var payloads = new string[events.Count];
        var keys = new string?[events.Count];
        var createdAt = new DateTimeOffset[events.Count];
        var traceParents = new string?[events.Count];
        var guards = new Guid?[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            (ids[i], tenants[i], types[i], payloads[i], keys[i], createdAt[i], traceParents[i]) = events[i];
            if (keys[i] is not null) guards[i] = KeyGuard.GuardIdOf(ids[i]);
        }

        await using var command = new NpgsqlCommand(PublishSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]> { TypedValue = ids },
                new NpgsqlParameter<Guid[]> { TypedValue = tenants },
                new NpgsqlParameter<string[]> { TypedValue = types },
                new NpgsqlParameter<string[]> { TypedValue = payloads },
                new NpgsqlParameter<string?[]> { TypedValue = keys },
                new NpgsqlParameter<DateTimeOffset[]> { TypedValue = createdAt },
                new NpgsqlParameter<string?[]> { TypedValue = traceParents },
                new NpgsqlParameter<Guid?[]> { TypedValue = guards },
            },
        };
        var deliveries = new List<NewDelivery>(events.Count);
        var taken = new HashSet<Guid>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (reader.IsDBNull(1)) taken.Add(reader.GetGuid(0));
                else deliveries.Add(new NewDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3),
                    reader.GetFieldValue<DateTimeOffset>(4)));
            }
            // Read to the end: an error raised at commit arrives after the rows, and must not be taken for success.
            while (await reader.NextResultAsync(ct)) { }
        }
        return new Published(deliveries, taken);
    }

    /// <summary>A <c>webhook.ping</c> event and its one delivery to this webhook (whatever it subscribed to), due now.</summary>
    /// <returns>The delivery, committed.</returns>
    public static async Task<Delivery> PingAsync(WebhooksDbContext db, Guid tenantId, Guid webhookId, DateTimeOffset now, string? traceParent,
        CancellationToken ct)
    {
        var ping = new Event
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Type = EventCatalog.Ping,
            Payload = JsonSerializer.Serialize(new WebhookPing(webhookId), EventsJsonContext.Default.WebhookPing),
            CreatedAt = now,
            TraceParent = traceParent,
        };
        var delivery = new Delivery
        {
            Id = Guid.CreateVersion7(now), TenantId = tenantId, EventId = ping.Id, WebhookId = webhookId,
            Status = DeliveryStatus.Pending, NextAttemptAt = now, CreatedAt = now,
        };
        db.Events.Add(ping);
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        return delivery;
    }
}
