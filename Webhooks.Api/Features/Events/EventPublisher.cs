using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
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
/// Writes events and one delivery per matching active webhook in one transaction, then schedules the deliveries in
/// Redis. Redis is written only after the commit: if it fails, the reconciler finds the deliveries in Postgres, so an
/// accepted event is never lost.
/// </summary>
internal sealed class EventPublisher(
    WebhooksDbContext db, DeliveryQueue queue, TimeProvider time, ApiMetrics metrics)
{
    public async Task<IReadOnlyList<PublishedEvent>> PublishAsync(Guid tenantId, IReadOnlyList<EventToPublish> events, CancellationToken ct)
    {
        // A concurrent publisher may commit the same Idempotency-Key between our look-up and our insert: the unique
        // index turns that into a conflict, and the second pass then finds its event.
        for (var pass = 1; ; pass++)
        {
            try
            {
                return await PublishOnceAsync(tenantId, events, ct);
            }
            catch (DbUpdateException e) when (pass < 3 && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<IReadOnlyList<PublishedEvent>> PublishOnceAsync(Guid tenantId, IReadOnlyList<EventToPublish> events, CancellationToken ct)
    {
        var keys = events.Where(e => e.IdempotencyKey is not null).Select(e => e.IdempotencyKey!).Distinct().ToArray();
        var existing = keys.Length == 0 ? new Dictionary<string, PublishedEvent>() : await LoadExistingAsync(tenantId, keys, ct);

        var types = events.Select(e => e.Type).Distinct().ToArray();
        var subscribers = await db.Webhooks.AsNoTracking()
            .Where(w => w.TenantId == tenantId && w.Active && w.DeletedAt == null && w.Events.Any(t => types.Contains(t)))
            .Select(w => new { w.Id, w.Events })
            .ToListAsync(ct);

        var now = time.GetUtcNow();
        var traceParent = Activity.Current?.Id;
        var results = new PublishedEvent[events.Count];
        var created = new Dictionary<string, PublishedEvent>(StringComparer.Ordinal);
        var fresh = new List<PublishedEvent>();
        var toSchedule = new List<(Guid, DateTimeOffset)>();

        for (var i = 0; i < events.Count; i++)
        {
            var item = events[i];
            if (item.IdempotencyKey is { } key && (existing.TryGetValue(key, out var known) || created.TryGetValue(key, out known)))
            {
                results[i] = known;
                continue;
            }
            var entity = new Event
            {
                Id = Guid.CreateVersion7(now),
                TenantId = tenantId,
                Type = item.Type,
                Payload = item.Data.GetRawText(),
                IdempotencyKey = item.IdempotencyKey,
                CreatedAt = now,
                TraceParent = traceParent,
            };
            db.Events.Add(entity);
            var deliveries = new List<PublishedDelivery>();
            foreach (var webhook in subscribers.Where(w => w.Events.Contains(item.Type)))
            {
                var delivery = new Delivery
                {
                    Id = Guid.CreateVersion7(now),
                    TenantId = tenantId,
                    EventId = entity.Id,
                    WebhookId = webhook.Id,
                    Status = DeliveryStatus.Pending,
                    NextAttemptAt = now,
                    CreatedAt = now,
                };
                db.Deliveries.Add(delivery);
                deliveries.Add(new PublishedDelivery(delivery.Id, webhook.Id, delivery.Status));
                toSchedule.Add((delivery.Id, now));
            }
            results[i] = new PublishedEvent(entity.Id, entity.Type, entity.CreatedAt, deliveries);
            fresh.Add(results[i]);
            if (item.IdempotencyKey is not null) created[item.IdempotencyKey] = results[i];
        }

        await db.SaveChangesAsync(ct); // one transaction, batched into few round trips
        foreach (var published in fresh) metrics.Published(published.Type, published.Deliveries.Count);
        await queue.ScheduleCommittedAsync(toSchedule);
        return results;
    }

    private async Task<Dictionary<string, PublishedEvent>> LoadExistingAsync(Guid tenantId, string[] keys, CancellationToken ct)
    {
        var rows = await db.Events.AsNoTracking()
            .Where(e => e.TenantId == tenantId && e.IdempotencyKey != null && keys.Contains(e.IdempotencyKey))
            .Select(e => new
            {
                e.Id, e.Type, e.CreatedAt, e.IdempotencyKey,
                Deliveries = db.Deliveries.Where(d => d.EventId == e.Id).OrderBy(d => d.Id)
                    .Select(d => new PublishedDelivery(d.Id, d.WebhookId, d.Status)).ToList(),
            })
            .ToListAsync(ct);
        return rows.ToDictionary(r => r.IdempotencyKey!, r => new PublishedEvent(r.Id, r.Type, r.CreatedAt, r.Deliveries), StringComparer.Ordinal);
    }
}
