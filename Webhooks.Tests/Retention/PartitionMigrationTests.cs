using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Dispatcher.Upkeep.Retention;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Retention;

/// <summary>The PartitionedDeliveries and PartitionedEvents migrations convert a running deployment's tables without
/// losing a row or an idempotency key.</summary>
public sealed class PartitionMigrationTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migration_keeps_every_delivery_and_attempt_in_a_partition_of_everything_before_next_week()
    {
        var (database, _) = infrastructure.NextStack();
        await using var dataSource = WebhooksDatabase.CreateDataSource(infrastructure.DatabaseConnectionString(database));
        await using var db = new WebhooksDbContext(WebhooksDatabase.ContextOptions(dataSource));
        await db.GetService<IMigrator>().MigrateAsync("PortalSessions", Ct);
        var now = DateTimeOffset.UtcNow;
        var tenant = new Tenant { Id = Guid.CreateVersion7(), Name = "Before", CreatedAt = now };
        var user = new User { Id = Guid.CreateVersion7(), TenantId = tenant.Id, Email = "u@example.com", Name = "U", CreatedAt = now };
        var webhook = new Webhook
        {
            Id = Guid.CreateVersion7(), TenantId = tenant.Id, Url = "https://a.example/hook", Events = ["sale.created"], SecretCiphertext = [1],
            CreatedByUserId = user.Id, CreatedAt = now, UpdatedAt = now,
        };
        db.AddRange(tenant, user, webhook);
        var deliveries = new List<Guid>();
        foreach (var age in new[] { 400, 100, 3, 0 })
        {
            var at = now.AddDays(-age);
            var evt = new Event { Id = Guid.CreateVersion7(at), TenantId = tenant.Id, Type = "sale.created", Payload = "{}", CreatedAt = at };
            var delivery = new Core.Data.Entities.Delivery
            {
                Id = Guid.CreateVersion7(at), TenantId = tenant.Id, EventId = evt.Id, WebhookId = webhook.Id, Status = DeliveryStatus.Success,
                AttemptCount = 2, CreatedAt = at, CompletedAt = at,
            };
            for (var n = 1; n <= 2; n++)
                delivery.Attempts.Add(new DeliveryAttempt { Id = Guid.CreateVersion7(at), Number = n, StartedAt = at, DurationMs = 5 });
            db.AddRange(evt, delivery);
            deliveries.Add(delivery.Id);
        }
        await db.SaveChangesAsync(Ct);
        db.ChangeTracker.Clear();

        await db.Database.MigrateAsync(Ct);

        Assert.Equal(deliveries.Order(), (await db.Deliveries.Select(d => d.Id).ToListAsync(Ct)).Order());
        Assert.Equal(8, await db.DeliveryAttempts.CountAsync(Ct));
        var nextMonday = WeeklyIds.WeekOf(now).AddDays(7).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            [$"deliveries_until_{nextMonday}:4", $"delivery_attempts_until_{nextMonday}:8"],
            await db.Database.SqlQueryRaw<string>("""
                SELECT tableoid::regclass::text || ':' || count(*) AS "Value" FROM deliveries GROUP BY tableoid
                UNION ALL SELECT tableoid::regclass::text || ':' || count(*) FROM delivery_attempts GROUP BY tableoid
                """).ToListAsync(Ct));
        var partitions = await db.Database.SqlQueryRaw<string>("""
            SELECT c.relname AS "Value" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent IN ('deliveries'::regclass, 'delivery_attempts'::regclass) ORDER BY 1
            """).ToListAsync(Ct);
        Assert.Equal(
            new[] { "deliveries_default", $"deliveries_p{nextMonday}", $"deliveries_until_{nextMonday}",
                    "delivery_attempts_default", $"delivery_attempts_p{nextMonday}", $"delivery_attempts_until_{nextMonday}" }.Order(StringComparer.Ordinal),
            partitions.Order(StringComparer.Ordinal));
        // The app's own statements still work on the new layout: the claim read finds an old delivery with its event.
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        Assert.Contains(deliveries[0], (await Core.Deliveries.ClaimedDeliveries.ReadAsync(connection, [deliveries[0]], Ct)).Keys);
    }

    [Fact]
    public async Task Migration_keeps_every_event_in_a_partition_of_everything_before_next_week_and_moves_their_keys()
    {
        var (database, _) = infrastructure.NextStack();
        await using var dataSource = WebhooksDatabase.CreateDataSource(infrastructure.DatabaseConnectionString(database));
        await using var db = new WebhooksDbContext(WebhooksDatabase.ContextOptions(dataSource));
        await db.GetService<IMigrator>().MigrateAsync("PartitionedDeliveries", Ct);
        var now = DateTimeOffset.UtcNow;
        var tenant = new Tenant { Id = Guid.CreateVersion7(), Name = "Before", CreatedAt = now };
        var other = new Tenant { Id = Guid.CreateVersion7(), Name = "Other", CreatedAt = now };
        db.AddRange(tenant, other);
        var events = new List<Event>();
        foreach (var (age, owner, key) in new[] { (400, tenant, "k1"), (100, tenant, null), (3, tenant, "k2"), (0, other, "k1"), (0, tenant, "k3") })
        {
            var at = now.AddDays(-age);
            events.Add(new Event
            {
                Id = Guid.CreateVersion7(at), TenantId = owner.Id, Type = "sale.created", Payload = "{}", IdempotencyKey = key, CreatedAt = at,
            });
        }
        db.AddRange(events);
        await db.SaveChangesAsync(Ct);
        db.ChangeTracker.Clear();

        await db.Database.MigrateAsync(Ct);

        var nextMonday = WeeklyIds.WeekOf(now).AddDays(7).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([$"events_until_{nextMonday}:5"], await db.Database.SqlQueryRaw<string>(
            """SELECT tableoid::regclass::text || ':' || count(*) AS "Value" FROM events GROUP BY tableoid""").ToListAsync(Ct));
        Assert.Equal(events.Select(e => e.Id).Order(), (await db.Events.Select(e => e.Id).ToListAsync(Ct)).Order());
        Assert.Equal(
            new[] { "events_default", $"events_p{nextMonday}", $"events_until_{nextMonday}" },
            (await db.Database.SqlQueryRaw<string>("""
                SELECT c.relname AS "Value" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'events'::regclass
                """).ToListAsync(Ct)).Order(StringComparer.Ordinal));
        Assert.Equal(
            events.Where(e => e.IdempotencyKey is not null).Select(e => (e.TenantId, e.IdempotencyKey!, e.Id)).Order(),
            (await db.IdempotencyKeys.ToListAsync(Ct)).Select(k => (k.TenantId, k.Key, k.EventId)).Order());

        // The publish statement on the new layout: a migrated key is still taken, a new one is not.
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        Core.Deliveries.NewDeliveries.NewEvent New(string key) => new(Guid.CreateVersion7(now), tenant.Id, "sale.created", "{}", key, now, null);
        var (repeat, fresh) = (New("k1"), New("k4"));
        Assert.Equal([repeat.Id], (await Core.Deliveries.NewDeliveries.PublishAsync(connection, [repeat, fresh], Ct)).TakenKeyEvents);
        Assert.Equal(6, await db.Events.CountAsync(Ct));
    }

    [Fact]
    public async Task Migration_keeps_every_idempotency_key_unique_in_a_partition_of_everything_before_next_week()
    {
        var (database, _) = infrastructure.NextStack();
        await using var dataSource = WebhooksDatabase.CreateDataSource(infrastructure.DatabaseConnectionString(database));
        await using var db = new WebhooksDbContext(WebhooksDatabase.ContextOptions(dataSource));
        await db.GetService<IMigrator>().MigrateAsync("PartitionedEvents", Ct);
        var now = DateTimeOffset.UtcNow;
        var (tenant, other) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        db.AddRange(new Tenant { Id = tenant, Name = "Before", CreatedAt = now }, new Tenant { Id = other, Name = "Other", CreatedAt = now });
        await db.SaveChangesAsync(Ct);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        Core.Deliveries.NewDeliveries.NewEvent New(Guid owner, string key, int age) =>
            new(Guid.CreateVersion7(now.AddDays(-age)), owner, "sale.created", "{}", key, now.AddDays(-age), null);
        // Written by the publish statement of the version before (its text, since the app's own is the new one).
        Core.Deliveries.NewDeliveries.NewEvent[] before = [New(tenant, "k1", 400), New(tenant, "k2", 3), New(other, "k1", 0), New(tenant, "k3", 0)];
        await using (var insert = new Npgsql.NpgsqlCommand("""
            WITH k AS (INSERT INTO idempotency_keys (tenant_id, key, event_id)
                       SELECT t, k, e FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS x(t, k, e) ON CONFLICT (tenant_id, key) DO NOTHING RETURNING event_id)
            INSERT INTO events (id, tenant_id, type, payload, idempotency_key, created_at)
            SELECT e, t, 'sale.created', '{}', k, $4 FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS x(t, k, e) WHERE e IN (SELECT event_id FROM k)
            """, connection))
        {
            insert.Parameters.AddWithValue(before.Select(e => e.TenantId).ToArray());
            insert.Parameters.AddWithValue(before.Select(e => e.IdempotencyKey!).ToArray());
            insert.Parameters.AddWithValue(before.Select(e => e.Id).ToArray());
            insert.Parameters.AddWithValue(now);
            Assert.Equal(4, await insert.ExecuteNonQueryAsync(Ct));
        }

        await db.Database.MigrateAsync(Ct);

        var nextMonday = WeeklyIds.WeekOf(now).AddDays(7).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([$"idempotency_keys_until_{nextMonday}:4"], await db.Database.SqlQueryRaw<string>(
            """SELECT tableoid::regclass::text || ':' || count(*) AS "Value" FROM idempotency_keys GROUP BY tableoid""").ToListAsync(Ct));
        Assert.Equal(
            before.Select(e => (e.TenantId, e.IdempotencyKey!, e.Id, (Guid?)null)).Order(),
            (await db.IdempotencyKeys.ToListAsync(Ct)).Select(k => (k.TenantId, k.Key, k.EventId, k.GuardId)).Order());
        Assert.Equal(
            new[] { "idempotency_keys_default", $"idempotency_keys_p{nextMonday}", $"idempotency_keys_until_{nextMonday}" },
            (await db.Database.SqlQueryRaw<string>("""
                SELECT c.relname AS "Value" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'idempotency_keys'::regclass
                """).ToListAsync(Ct)).Order(StringComparer.Ordinal));

        // Still unique: the publish statement finds a migrated key taken (in this week, the old table's), a new one is not;
        // and the old table's own unique index still refuses a second row of a key.
        var (repeat, fresh) = (New(tenant, "k1", 0), New(tenant, "k4", 0));
        Assert.Equal([repeat.Id], (await Core.Deliveries.NewDeliveries.PublishAsync(connection, [repeat, fresh], Ct)).TakenKeyEvents);
        await using var duplicate = new Npgsql.NpgsqlCommand("INSERT INTO idempotency_keys (tenant_id, key, event_id) VALUES ($1, 'k2', $2)", connection)
        {
            Parameters = { new() { Value = tenant }, new() { Value = Guid.CreateVersion7(now) } },
        };
        Assert.Equal(Npgsql.PostgresErrorCodes.UniqueViolation,
            (await Assert.ThrowsAsync<Npgsql.PostgresException>(() => duplicate.ExecuteNonQueryAsync(Ct))).SqlState);
        Assert.Equal(5, await db.Events.CountAsync(Ct));
    }
}
