using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Webhooks.Core.Options;
using Webhooks.Dispatcher.Upkeep.Retention;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Retention;

internal static class RetentionRows
{
    /// <summary>A cleaner over the stack's database, as the Dispatcher builds it, with the given batch size.</summary>
    public static RetentionCleaner Cleaner(TestStack stack, int batchSize = 1000) =>
        new(stack.ApiServices.GetRequiredService<IServiceScopeFactory>(),
            Microsoft.Extensions.Options.Options.Create(new RetentionOptions { BatchSize = batchSize }),
            Microsoft.Extensions.Options.Options.Create(new DeliveryOptions { RetrySchedule = DeliveryOptions.DefaultRetrySchedule }),
            NullLogger<RetentionCleaner>.Instance);

    /// <summary>A partition maintainer over the stack's database, as the Dispatcher builds it.</summary>
    public static PartitionMaintainer Maintainer(TestStack stack, int weeksAhead = 2) =>
        new(stack.ApiServices.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System,
            Microsoft.Extensions.Options.Options.Create(new RetentionOptions { PartitionsAhead = weeksAhead }), NullLogger<PartitionMaintainer>.Instance);

    /// <summary>The partition a delivery's row is in, or null when there is no such delivery.</summary>
    public static async Task<string?> PartitionOfAsync(TestStack stack, Guid deliveryId)
    {
        await using var command = stack.DataSource.CreateCommand("SELECT tableoid::regclass::text FROM deliveries WHERE id = $1");
        command.Parameters.AddWithValue(deliveryId);
        return (string?)await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The partition an event's row is in, or null when there is no such event.</summary>
    public static async Task<string?> EventPartitionOfAsync(TestStack stack, Guid eventId)
    {
        await using var command = stack.DataSource.CreateCommand("SELECT tableoid::regclass::text FROM events WHERE id = $1");
        command.Parameters.AddWithValue(eventId);
        return (string?)await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The tenant's idempotency keys with their events, by key: the keys' own rows, not guard rows.</summary>
    public static async Task<List<(string Key, Guid EventId)>> KeysAsync(TestStack stack, Guid tenantId)
    {
        await using var db = stack.CreateDbContext();
        return [.. (await db.IdempotencyKeys.Where(k => k.TenantId == tenantId && k.GuardId == null).OrderBy(k => k.Key)
                .ToListAsync(TestContext.Current.CancellationToken))
            .Select(k => (k.Key, k.EventId))];
    }

    /// <summary>The tenant's guard rows of idempotency keys (see KeyGuard), by key.</summary>
    public static async Task<List<(string Key, Guid EventId)>> GuardsAsync(TestStack stack, Guid tenantId)
    {
        await using var db = stack.CreateDbContext();
        return [.. (await db.IdempotencyKeys.Where(k => k.TenantId == tenantId && k.GuardId != null).OrderBy(k => k.Key)
                .ToListAsync(TestContext.Current.CancellationToken))
            .Select(k => (k.Key, k.EventId))];
    }

    /// <summary>The partitions the tenant's idempotency keys (and guards) are in, by key.</summary>
    public static async Task<List<string>> KeyPartitionsAsync(TestStack stack, Guid tenantId)
    {
        await using var command = stack.DataSource.CreateCommand(
            "SELECT tableoid::regclass::text FROM idempotency_keys WHERE tenant_id = $1 ORDER BY key, guard_id NULLS FIRST");
        command.Parameters.AddWithValue(tenantId);
        var partitions = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken)) partitions.Add(reader.GetString(0));
        return partitions;
    }

    /// <summary>Marks these deliveries successful at <paramref name="completedAt"/>.</summary>
    public static async Task CompleteAsync(TestStack stack, Guid[] deliveryIds, DateTimeOffset completedAt)
    {
        await using var db = stack.CreateDbContext();
        await db.Deliveries.Where(d => deliveryIds.Contains(d.Id)).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, Core.Data.Entities.DeliveryStatus.Success).SetProperty(d => d.CompletedAt, completedAt)
            .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null), TestContext.Current.CancellationToken);
    }

    /// <summary>Whether the table exists.</summary>
    public static async Task<bool> TableExistsAsync(TestStack stack, string name)
    {
        await using var command = stack.DataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        command.Parameters.AddWithValue(name);
        return (bool)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Attempts of each of these deliveries.</summary>
    public static async Task<Dictionary<Guid, int>> AttemptsOfAsync(TestStack stack, params Guid[] deliveryIds)
    {
        await using var db = stack.CreateDbContext();
        var counts = await db.DeliveryAttempts.Where(a => deliveryIds.Contains(a.DeliveryId)).GroupBy(a => a.DeliveryId)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(TestContext.Current.CancellationToken);
        return deliveryIds.ToDictionary(id => id, id => counts.SingleOrDefault(c => c.Key == id)?.Count ?? 0);
    }

    public static async Task<HashSet<Guid>> DeliveryIdsAsync(TestStack stack)
    {
        await using var db = stack.CreateDbContext();
        return [.. await db.Deliveries.Select(d => d.Id).ToListAsync(TestContext.Current.CancellationToken)];
    }

    public static async Task<HashSet<Guid>> EventIdsAsync(TestStack stack)
    {
        await using var db = stack.CreateDbContext();
        return [.. await db.Events.Select(e => e.Id).ToListAsync(TestContext.Current.CancellationToken)];
    }

    public static async Task<int> AttemptCountAsync(TestStack stack)
    {
        await using var db = stack.CreateDbContext();
        return await db.DeliveryAttempts.CountAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>A finished delivery whose event was created a minute before it completed.</summary>
    public static Task<Guid> FinishedAsync(TestStack stack, SeededTenant tenant, Guid webhookId, Core.Data.Entities.DeliveryStatus status,
        DateTimeOffset completedAt, int attempts = 1, Guid? eventId = null) =>
        SeedHistory.DeliveryAsync(stack, tenant, webhookId, status, completedAt.AddMinutes(-1), completedAt, attempts, eventId);
}
