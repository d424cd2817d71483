using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Events;

/// <summary>An event as a publisher sent it, already validated.</summary>
internal sealed record EventToPublish(string Type, JsonElement Data, string? IdempotencyKey);

/// <summary>What the publisher gets back: the event and its deliveries (the same ones again for an idempotent repeat).</summary>
internal sealed record PublishedEvent(Guid Id, string Type, DateTimeOffset CreatedAt, IReadOnlyList<PublishedDelivery> Deliveries);

internal sealed record PublishedDelivery(Guid Id, Guid WebhookId, DeliveryStatus Status);

/// <summary>
/// Publishes events: one delivery per matching active webhook, written with the events in one transaction (see
/// <see cref="NewDeliveries"/> and <see cref="EventWriter"/>), then scheduled in Redis. Redis is written only after the
/// commit: if it fails, the reconciler finds the deliveries in Postgres, so an accepted event is never lost.
/// </summary>
internal sealed class EventPublisher(NpgsqlDataSource database, EventWriter writer, TimeProvider time, ApiMetrics metrics)
{
    public async Task<IReadOnlyList<PublishedEvent>> PublishAsync(Guid tenantId, IReadOnlyList<EventToPublish> events, CancellationToken ct)
    {
        using var activity = ApiTelemetry.ActivitySource.StartActivity("publish events");
        activity?.SetTag("webhooks.events.count", events.Count);
        // Conflicts are found here, before the group write: a request that reuses a key with other content fails alone
        // and never reaches a statement it would share with other requests. A key taken by a concurrent publish after
        // this look-up is skipped by the write itself (see AnswerTakenKeysAsync).
        var keys = IdempotencyKeys(events);
        var existing = keys is null ? null : await FindByKeysAsync(tenantId, keys, ct);

        var now = time.GetUtcNowForDb();
        var traceParent = Activity.Current?.Id;
        var results = new PublishedEvent[events.Count];
        var rows = new List<NewDeliveries.NewEvent>(events.Count);
        var fresh = new Dictionary<Guid, List<PublishedDelivery>>(events.Count); // new event id → its deliveries
        var created = keys is null ? null : new Dictionary<string, PublishedEvent>(StringComparer.Ordinal); // a key repeated within the request
        for (var i = 0; i < events.Count; i++)
        {
            var item = events[i];
            if (item.IdempotencyKey is { } key)
            {
                var (first, firstIndex) = keys![key];
                if (firstIndex != i && !SameTypeAndData(first, item)) throw new IdempotencyKeyReusedException(i, key, null, firstIndex);
                if (existing!.TryGetValue(key, out var found))
                {
                    if (!found.SameTypeAndData) throw new IdempotencyKeyReusedException(i, key, found.Event.Id);
                    results[i] = found.Event;
                    continue;
                }
                if (created!.TryGetValue(key, out var known))
                {
                    results[i] = known;
                    continue;
                }
            }
            var id = Guid.CreateVersion7(now);
            var deliveries = new List<PublishedDelivery>();
            rows.Add(new NewDeliveries.NewEvent(id, tenantId, item.Type, item.Data.GetRawText(), item.IdempotencyKey, now, traceParent));
            fresh.Add(id, deliveries);
            results[i] = new PublishedEvent(id, item.Type, now, deliveries);
            if (item.IdempotencyKey is not null) created![item.IdempotencyKey] = results[i];
        }
        if (rows.Count == 0) return results;

        // Not cancelled with the request: once handed over, the write completes (or fails) for everyone it carries.
        NewDeliveries.Published written;
        using (ApiTelemetry.ActivitySource.StartActivity("commit events")) // the wait for the group writer, its write and schedule
            written = await writer.WriteAsync(rows);
        foreach (var delivery in written.Deliveries)
            fresh[delivery.EventId].Add(new PublishedDelivery(delivery.Id, delivery.WebhookId, DeliveryStatus.Pending));
        foreach (var row in rows)
        {
            if (!written.TakenKeyEvents.Contains(row.Id)) metrics.Published(row.Type, fresh[row.Id].Count);
        }
        if (written.TakenKeyEvents.Count > 0) await AnswerTakenKeysAsync(tenantId, events, rows, written.TakenKeyEvents, results, ct);
        return results;
    }

    /// <summary>A concurrent publish committed some of our idempotency keys between our look-up and our write (the
    /// write skipped those events, so nobody sharing it failed): those items answer with the event that won, as a later
    /// repeat would, or with a 409 if it carries other content. Postgres decides a key's conflict only once the winner
    /// has committed, so the winner is there to be read.</summary>
    private async Task AnswerTakenKeysAsync(Guid tenantId, IReadOnlyList<EventToPublish> events, List<NewDeliveries.NewEvent> rows,
        HashSet<Guid> taken, PublishedEvent[] results, CancellationToken ct)
    {
        var takenKeys = rows.Where(r => taken.Contains(r.Id)).Select(r => r.IdempotencyKey!).ToHashSet(StringComparer.Ordinal);
        var requested = IdempotencyKeys(events)!.Where(k => takenKeys.Contains(k.Key)).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);
        var winners = await FindByKeysAsync(tenantId, requested, ct);
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].IdempotencyKey is not { } key || !takenKeys.Contains(key)) continue;
            var winner = winners.TryGetValue(key, out var found) ? found
                : throw new InvalidOperationException("An idempotency key's event was skipped as taken, yet no event holds the key.");
            if (!winner.SameTypeAndData) throw new IdempotencyKeyReusedException(i, key, winner.Event.Id);
            results[i] = winner.Event;
        }
    }

    // A connection only for the requests that need one.
    private async Task<Dictionary<string, EventRows.Found>> FindByKeysAsync(Guid tenantId, Dictionary<string, (EventToPublish First, int Index)> keys,
        CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await EventRows.FindByKeysAsync(connection, tenantId, keys.ToDictionary(k => k.Key, k => k.Value.First, StringComparer.Ordinal), ct);
    }

    /// <summary>Each distinct idempotency key of the request with the first event that carries it, or null when the
    /// request has none (the common case: no look-up).</summary>
    private static Dictionary<string, (EventToPublish First, int Index)>? IdempotencyKeys(IReadOnlyList<EventToPublish> events)
    {
        Dictionary<string, (EventToPublish, int)>? keys = null;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].IdempotencyKey is { } key) (keys ??= new(StringComparer.Ordinal)).TryAdd(key, (events[i], i));
        }
        return keys;
    }

    /// <summary>The same event content as the database compares it (see <see cref="EventRows"/>): JSON equality, so
    /// key order and whitespace do not matter.</summary>
    private static bool SameTypeAndData(EventToPublish a, EventToPublish b) =>
        a.Type == b.Type && JsonElement.DeepEquals(a.Data, b.Data);
}
