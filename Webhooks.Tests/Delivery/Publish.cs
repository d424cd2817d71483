using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Api.Features.Events;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Queue;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

/// <summary>
/// Publishing for tests about what comes after it: events go through the Api's own publish path (EventPublisher, the
/// group-committed insert of NewDeliveries, then the schedule in Redis, which also wakes the Dispatcher), exactly as
/// <c>POST /v1/events</c> sends them, without HTTP in between; each returns once its deliveries are scheduled.
/// </summary>
internal static class Publish
{
    public const string DefaultData = """{"saleId":"S-1001","total":42.5,"currency":"EUR","lines":[{"sku":"ABC","qty":2}],"note":"café ☕"}""";

    /// <summary>Publishes one event and checks that it made one delivery for each of <paramref name="webhooks"/>, and
    /// no other (the tenant's live webhooks subscribed to <paramref name="type"/>).</summary>
    /// <param name="traceParent">The trace the publish runs in, as a request's would.</param>
    /// <returns>The delivery ids in the order of <paramref name="webhooks"/>.</returns>
    public static async Task<PublishedEvent> EventAsync(TestStack stack, SeededTenant tenant, IReadOnlyList<SeededWebhook> webhooks,
        string type = "sale.created", string data = DefaultData, string? traceParent = null)
    {
        using var trace = traceParent is null ? null : new Activity("publish").SetParentId(traceParent).Start();
        var publisher = stack.ApiServices.GetRequiredService<EventPublisher>();
        var publishedAt = DateTimeOffset.UtcNow;
        using var json = JsonDocument.Parse(data);
        var published = (await publisher.PublishAsync(tenant.TenantId, [new EventToPublish(type, json.RootElement, null)],
            TestContext.Current.CancellationToken))[0];
        await stack.PublishesScheduledAsync();
        var byWebhook = published.Deliveries.ToDictionary(d => d.WebhookId, d => d.Id);
        Assert.Equal(webhooks.Select(w => w.WebhookId).Order(), byWebhook.Keys.Order());
        return new PublishedEvent(published.Id, webhooks.Select(w => byWebhook[w.WebhookId]).ToList(), publishedAt);
    }

    public static Task<PublishedEvent> EventAsync(TestStack stack, SeededTenant tenant, SeededWebhook webhook, string type = "sale.created",
        string? traceParent = null) =>
        EventAsync(stack, tenant, [webhook], type, traceParent: traceParent);

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

    /// <summary>The deliveries as the schedule holds them, with their webhook and tenant (read from Postgres).</summary>
    public static async Task<List<QueuedDelivery>> QueuedAsync(TestStack stack, IEnumerable<Guid> deliveryIds)
    {
        var ids = deliveryIds.ToList();
        await using var db = stack.CreateDbContext();
        var found = await db.Deliveries.AsNoTracking().Where(d => ids.Contains(d.Id))
            .Select(d => new QueuedDelivery(d.Id, d.WebhookId, d.TenantId)).ToDictionaryAsync(d => d.Id, TestContext.Current.CancellationToken);
        return ids.ConvertAll(id => found[id]);
    }

    public static async Task<QueuedDelivery> QueuedAsync(TestStack stack, Guid deliveryId) => (await QueuedAsync(stack, [deliveryId]))[0];

    /// <summary>How many of the deliveries the schedule holds (due, in flight, or held under the in-flight caps), read
    /// at one instant: deliveries move between the sets.</summary>
    public static async Task<int> ScheduledCountAsync(TestStack stack, IEnumerable<Guid> deliveryIds) =>
        await ScheduledCountAsync(stack, await QueuedAsync(stack, deliveryIds));

    public static async Task<int> ScheduledCountAsync(TestStack stack, IEnumerable<QueuedDelivery> deliveries)
    {
        var keys = stack.Queue.Keys;
        var read = stack.Redis.CreateTransaction();
        var scores = deliveries.Select(d => d.ToMember()).Select(member => (Due: read.SortedSetScoreAsync(keys.Due, member),
            InFlight: read.SortedSetScoreAsync(keys.InFlight, member), Held: read.HashExistsAsync(keys.HeldBy, member))).ToList();
        await read.ExecuteAsync();
        var count = 0;
        foreach (var (due, inFlight, held) in scores)
            if (await due is not null || await inFlight is not null || await held) count++;
        return count;
    }

    /// <summary>Whether the schedule holds the delivery, due, in flight or held (later buckets are not searched: a
    /// delivery due beyond the near horizon shows here once promoted).</summary>
    public static async Task<bool> IsScheduledAsync(TestStack stack, Guid deliveryId) => await ScheduledCountAsync(stack, [deliveryId]) == 1;

    public static async Task<bool> IsScheduledAsync(TestStack stack, QueuedDelivery delivery) =>
        await ScheduledCountAsync(stack, [delivery]) == 1;

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

/// <param name="PublishedAt">When the publish was handed to the Api's publisher: where "publish → receive" time starts.</param>
internal sealed record PublishedEvent(Guid EventId, IReadOnlyList<Guid> DeliveryIds, DateTimeOffset PublishedAt)
{
    public Guid DeliveryId => DeliveryIds.Single();
}
