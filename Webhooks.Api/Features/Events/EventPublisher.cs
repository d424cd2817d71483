using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;

namespace Webhooks.Api.Features.Events;

/// <summary>An event as a publisher sent it, already validated.</summary>
internal sealed record EventToPublish(string Type, JsonElement Data, string? IdempotencyKey);

/// <summary>What the publisher gets back: the event and its deliveries (the same ones again for an idempotent repeat).</summary>
internal sealed record PublishedEvent(Guid Id, string Type, DateTimeOffset CreatedAt, IReadOnlyList<PublishedDelivery> Deliveries);

internal sealed record PublishedDelivery(Guid Id, Guid WebhookId, DeliveryStatus Status);

/// <summary>
/// Writes events and one delivery per matching active webhook in one transaction (one statement: see
/// <see cref="EventRows"/>), then schedules the deliveries in Redis. Redis is written only after the commit: if it
/// fails, the reconciler finds the deliveries in Postgres, so an accepted event is never lost.
/// </summary>
internal sealed class EventPublisher(
    WebhooksDbContext db, DeliveryQueue queue, TimeProvider time, ApiMetrics metrics)
{
    public async Task<IReadOnlyList<PublishedEvent>> PublishAsync(Guid tenantId, IReadOnlyList<EventToPublish> events, CancellationToken ct)
    {
        // The DbContext's connection: the same pool and connection settings as the rest of the Api.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            // A concurrent publisher may commit the same Idempotency-Key between our look-up and our insert: the unique
            // index turns that into a conflict, and the second pass then finds its event.
            for (var pass = 1; ; pass++)
            {
                try
                {
                    return await PublishOnceAsync(connection, tenantId, events, ct);
                }
                catch (PostgresException e) when (pass < 3 && e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<IReadOnlyList<PublishedEvent>> PublishOnceAsync(NpgsqlConnection connection, Guid tenantId,
        IReadOnlyList<EventToPublish> events, CancellationToken ct)
    {
        var keys = IdempotencyKeys(events);
        var existing = keys is null ? null : await EventRows.FindByKeysAsync(connection, tenantId, keys, ct);

        var now = time.GetUtcNowForDb();
        var results = new PublishedEvent[events.Count];
        var rows = new List<EventRows.NewEvent>(events.Count);
        var fresh = new Dictionary<Guid, List<PublishedDelivery>>(events.Count); // new event id → its deliveries
        Dictionary<string, int>? firstWithKey = null; // a key repeated within this request → the event that has it first
        for (var i = 0; i < events.Count; i++)
        {
            var item = events[i];
            if (item.IdempotencyKey is { } key)
            {
                if (existing!.TryGetValue(key, out var known))
                {
                    results[i] = known;
                    continue;
                }
                firstWithKey ??= new Dictionary<string, int>(StringComparer.Ordinal);
                if (firstWithKey.TryGetValue(key, out var first))
                {
                    results[i] = results[first];
                    continue;
                }
                firstWithKey[key] = i;
            }
            var id = Guid.CreateVersion7(now);
            var deliveries = new List<PublishedDelivery>();
            rows.Add(new EventRows.NewEvent(id, item.Type, item.Data.GetRawText(), item.IdempotencyKey));
            fresh.Add(id, deliveries);
            results[i] = new PublishedEvent(id, item.Type, now, deliveries);
        }
        if (rows.Count == 0) return results;

        var created = await EventRows.InsertAsync(connection, tenantId, now, Activity.Current?.Id, rows, ct);
        var toSchedule = new (Guid, DateTimeOffset)[created.Count];
        for (var i = 0; i < created.Count; i++)
        {
            var (eventId, deliveryId, webhookId) = created[i];
            fresh[eventId].Add(new PublishedDelivery(deliveryId, webhookId, DeliveryStatus.Pending));
            toSchedule[i] = (deliveryId, now);
        }
        foreach (var row in rows) metrics.Published(row.Type, fresh[row.Id].Count);
        await queue.ScheduleCommittedAsync(toSchedule);
        return results;
    }

    /// <summary>The distinct idempotency keys of the request, or null when it has none (the common case: no look-up).</summary>
    private static string[]? IdempotencyKeys(IReadOnlyList<EventToPublish> events)
    {
        HashSet<string>? keys = null;
        foreach (var e in events)
        {
            if (e.IdempotencyKey is not null) (keys ??= new HashSet<string>(StringComparer.Ordinal)).Add(e.IdempotencyKey);
        }
        return keys?.ToArray();
    }
}
