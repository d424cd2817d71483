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
        var delivery = new global::Webhooks.Core.Data.Entities.Delivery
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
        for (var n = 1; n <= attempts; n++)
            delivery.Attempts.Add(new DeliveryAttempt
            {
                Id = Guid.CreateVersion7(createdAt), Number = n, StartedAt = createdAt, DurationMs = 5,
                ResponseStatus = status == DeliveryStatus.Success && n == attempts ? 200 : 500,
            });
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return delivery.Id;
    }

    private static Event NewEvent(SeededTenant tenant, DateTimeOffset createdAt, string type) => new()
    {
        Id = Guid.CreateVersion7(createdAt), TenantId = tenant.TenantId, Type = type, Payload = """{"n":1}""", CreatedAt = createdAt,
    };
}
