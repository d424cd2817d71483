using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Tests.Infrastructure;

/// <summary>Writes events, deliveries and attempts at chosen times and states, for tests of what happens to
/// history (alerts ending live deliveries, retention deleting old ones) without sending anything.</summary>
internal static class SeedHistory
{
    public static async Task<Guid> EventAsync(TestStack stack, SeededTenant tenant, DateTimeOffset createdAt, string type = "sale.created")
    {
        await using var db = stack.CreateDbContext();
        var evt = NewEvent(tenant, createdAt, type);
        db.Events.Add(evt);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return evt.Id;
    }

    /// <summary>A delivery (with an event of its own unless one is given) and <paramref name="attempts"/> attempts.</summary>
    public static async Task<Guid> DeliveryAsync(TestStack stack, SeededTenant tenant, Guid webhookId, DeliveryStatus status,
        DateTimeOffset createdAt, DateTimeOffset? completedAt = null, int attempts = 0, Guid? eventId = null)
    {
        await using var db = stack.CreateDbContext();
        if (eventId is null)
        {
            var evt = NewEvent(tenant, createdAt, "sale.created");
            db.Events.Add(evt);
            eventId = evt.Id;
        }
        var live = status is DeliveryStatus.Pending or DeliveryStatus.Retrying;
        var delivery = new Delivery
        {
            Id = Guid.CreateVersion7(createdAt),
            TenantId = tenant.TenantId,
            EventId = eventId.Value,
            WebhookId = webhookId,
            Status = status,
            AttemptCount = attempts,
            NextAttemptAt = live ? createdAt : null,
            CreatedAt = createdAt,
            CompletedAt = live ? null : completedAt ?? createdAt,
        };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        // Raw SQL: the model's Dictionary-typed jsonb header columns need Npgsql's dynamic JSON, which this context lacks.
        for (var n = 1; n <= attempts; n++)
        {
            int? responseStatus = status == DeliveryStatus.Success && n == attempts ? 200 : 500;
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO delivery_attempts (id, delivery_id, number, started_at, duration_ms, request_headers, response_status)
                VALUES ({Guid.CreateVersion7(createdAt)}, {delivery.Id}, {n}, {createdAt}, 5, jsonb_build_object(), {responseStatus})
                """, TestContext.Current.CancellationToken);
        }
        return delivery.Id;
    }

    private static Event NewEvent(SeededTenant tenant, DateTimeOffset createdAt, string type) => new()
    {
        Id = Guid.CreateVersion7(createdAt), TenantId = tenant.TenantId, Type = type, Payload = """{"n":1}""", CreatedAt = createdAt,
    };
}
