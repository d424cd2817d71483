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
