using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

/// <summary>
/// Does what the Api's publish does (the contract between it and the Dispatcher): inserts the event and one pending
/// delivery per webhook, due now, commits, then schedules them in Redis (which also wakes the Dispatcher).
/// </summary>
internal static class Publish
{
    public const string DefaultData = """{"saleId":"S-1001","total":42.5,"currency":"EUR","lines":[{"sku":"ABC","qty":2}],"note":"café ☕"}""";

    public static async Task<PublishedEvent> EventAsync(TestStack stack, SeededTenant tenant, IReadOnlyList<SeededWebhook> webhooks,
        string type = "sale.created", string data = DefaultData, bool schedule = true, string? traceParent = null)
    {
        await using var db = stack.CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var @event = new Event
        {
            Id = Guid.CreateVersion7(now), TenantId = tenant.TenantId, Type = type, Payload = data, CreatedAt = now, TraceParent = traceParent,
        };
        db.Events.Add(@event);
        var deliveries = webhooks.Select(w => new Core.Data.Entities.Delivery
        {
            Id = Guid.CreateVersion7(now), TenantId = tenant.TenantId, EventId = @event.Id, WebhookId = w.WebhookId,
            Status = DeliveryStatus.Pending, AttemptCount = 0, NextAttemptAt = now, CreatedAt = now,
        }).ToList();
        db.Deliveries.AddRange(deliveries);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        var scheduledAt = DateTimeOffset.UtcNow;
        if (schedule) await Queue(stack).ScheduleAsync(deliveries.Select(d => (d.Id, now)).ToList());
        return new PublishedEvent(@event.Id, deliveries.Select(d => d.Id).ToList(), now, scheduledAt);
    }

    public static Task<PublishedEvent> EventAsync(TestStack stack, SeededTenant tenant, SeededWebhook webhook, bool schedule = true,
        string? traceParent = null) =>
        EventAsync(stack, tenant, [webhook], schedule: schedule, traceParent: traceParent);

    /// <summary>Waits until every delivery is final and returns them.</summary>
    public static async Task<List<Core.Data.Entities.Delivery>> AllFinalAsync(TestStack stack, IReadOnlyCollection<Guid> deliveryIds, TimeSpan? timeout = null)
    {
        return await Eventually.Get(async () =>
        {
            await using var db = stack.CreateDbContext();
            return await db.Deliveries.AsNoTracking().Where(d => deliveryIds.Contains(d.Id)).ToListAsync(TestContext.Current.CancellationToken);
        }, ds => ds.Count == deliveryIds.Count && ds.All(d => d.Status is DeliveryStatus.Success or DeliveryStatus.Failed),
            $"{deliveryIds.Count} deliveries to end", timeout);
    }

    public static DeliveryQueue Queue(TestStack stack) => stack.ApiServices.GetRequiredService<DeliveryQueue>();

    public static async Task<Core.Data.Entities.Delivery> DeliveryAsync(TestStack stack, Guid deliveryId)
    {
        await using var db = stack.CreateDbContext();
        return await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId, TestContext.Current.CancellationToken);
    }

    public static async Task<List<DeliveryAttempt>> AttemptsAsync(TestStack stack, Guid deliveryId)
    {
        await using var db = stack.CreateDbContext();
        return await db.DeliveryAttempts.AsNoTracking().Where(a => a.DeliveryId == deliveryId).OrderBy(a => a.Number)
            .ToListAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Empties the stack's schedule, both tiers (TestStack also flushes its Redis database at start; this keeps tests
    /// explicit). The database holds nothing else.
    /// </summary>
    public static Task ClearScheduleAsync(TestStack stack) => stack.RedisServer.FlushDatabaseAsync(stack.RedisDatabase);

    /// <summary>How many of the deliveries the schedule holds (due or in flight), read at one instant: ids move between the sets.</summary>
    public static async Task<int> ScheduledCountAsync(TestStack stack, IEnumerable<Guid> deliveryIds)
    {
        var read = stack.Redis.CreateTransaction();
        var scores = deliveryIds.Select(id => (Due: read.SortedSetScoreAsync(DeliveryQueue.DueKey, DeliveryQueue.Member(id)),
            InFlight: read.SortedSetScoreAsync(DeliveryQueue.InFlightKey, DeliveryQueue.Member(id)))).ToList();
        await read.ExecuteAsync();
        var count = 0;
        foreach (var (due, inFlight) in scores)
            if (await due is not null || await inFlight is not null) count++;
        return count;
    }

    /// <summary>Waits until the schedule has forgotten the deliveries (the ack follows the final write by a moment).</summary>
    public static Task AckedAsync(TestStack stack, IEnumerable<Guid> deliveryIds) =>
        Eventually.True(async () => await ScheduledCountAsync(stack, deliveryIds) == 0, "the schedule to drop the final deliveries");

    /// <summary>Waits until the delivery is final (success or failed) and returns it.</summary>
    public static Task<Core.Data.Entities.Delivery> FinalAsync(TestStack stack, Guid deliveryId, TimeSpan? timeout = null) =>
        Eventually.Get(() => DeliveryAsync(stack, deliveryId), d => d.Status is DeliveryStatus.Success or DeliveryStatus.Failed,
            $"delivery {deliveryId} to end", timeout);

    /// <summary>Shrunk schedule and sweep for tests: retries 50, 100, 150, 200, 250 ms apart; reconciler every 0.5 s.</summary>
    public static Dictionary<string, string?> FastSettings(params (string Key, string? Value)[] overrides) =>
        Settings([50, 100, 150, 200, 250], overrides);

    /// <param name="retryScheduleMs">The delay before each retry, in milliseconds.</param>
    public static Dictionary<string, string?> Settings(int[] retryScheduleMs, params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Webhooks:Reconciler:Interval"] = "00:00:00.500",
            // These tests fail many deliveries of one webhook on purpose; auto-disable (tested in Alerts/) would end them.
            ["Webhooks:Alerts:DisableAfter"] = "1000000",
        };
        for (var i = 0; i < retryScheduleMs.Length; i++)
            settings[$"Webhooks:Delivery:RetrySchedule:{i}"] = TimeSpan.FromMilliseconds(retryScheduleMs[i]).ToString("c");
        foreach (var (key, value) in overrides) settings[key] = value;
        return settings;
    }
}

/// <param name="ScheduledAt">When the publish had committed and was about to schedule: where "publish → receive" latency starts.</param>
internal sealed record PublishedEvent(Guid EventId, IReadOnlyList<Guid> DeliveryIds, DateTimeOffset PublishedAt, DateTimeOffset ScheduledAt)
{
    public Guid DeliveryId => DeliveryIds.Single();
}
