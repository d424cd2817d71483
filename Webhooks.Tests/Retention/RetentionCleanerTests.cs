using Webhooks.Dispatcher.Upkeep.Retention;
using Webhooks.Tests.Alerts;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Core.Data.Entities.DeliveryStatus;

namespace Webhooks.Tests.Retention;

public sealed class RetentionCleanerTests(InfrastructureFixture infrastructure)
{
    private static readonly DateTimeOffset Now = new(2026, 6, 7, 4, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Deletes_exactly_the_deliveries_past_retention_with_their_attempts_and_orphaned_old_events()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var hook = (await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"])).WebhookId;

        var successOld = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Now - 91 * Day, attempts: 2);
        var successJustOut = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Now - 90 * Day - Minute);
        var successJustIn = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Now - 90 * Day + Minute);
        var successYoung = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Now - Day);
        var failedOld = await RetentionRows.FinishedAsync(stack, tenant, hook, Failed, Now - 121 * Day, attempts: 6);
        var failedJustIn = await RetentionRows.FinishedAsync(stack, tenant, hook, Failed, Now - 120 * Day + Minute, attempts: 6);
        var failedPastSuccessAge = await RetentionRows.FinishedAsync(stack, tenant, hook, Failed, Now - 100 * Day, attempts: 6);
        var pendingAncient = await SeedHistory.DeliveryAsync(stack, tenant, hook, Pending, Now - 300 * Day);
        var retryingAncient = await SeedHistory.DeliveryAsync(stack, tenant, hook, Retrying, Now - 300 * Day, attempts: 3);
        // One event, two deliveries: the event stays while either delivery does.
        var sharedEvent = await SeedHistory.EventAsync(stack, tenant, Now - 200 * Day);
        var sharedFailedOld = await RetentionRows.FinishedAsync(stack, tenant, hook, Failed, Now - 130 * Day, eventId: sharedEvent);
        var sharedSuccessYoung = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Now - 10 * Day, eventId: sharedEvent);
        var eventOldAlone = await SeedHistory.EventAsync(stack, tenant, Now - 130 * Day);
        var eventYoungAlone = await SeedHistory.EventAsync(stack, tenant, Now - 10 * Day);
        var deliveriesBefore = await RetentionRows.DeliveryIdsAsync(stack);
        var eventsBefore = await RetentionRows.EventIdsAsync(stack);
        var attemptsBefore = await RetentionRows.AttemptCountAsync(stack);

        var result = await RetentionRows.Cleaner(stack).RunOnceAsync(Now, ct);

        Assert.Equal(new RetentionResult(true, SuccessfulDeliveries: 2, FailedDeliveries: 2, Attempts: 2 + 1 + 6 + 1, Events: 2, Batches: 3), result);
        Guid[] deleted = [successOld, successJustOut, failedOld, sharedFailedOld];
        Assert.Equal(deliveriesBefore.Except(deleted).Order(), (await RetentionRows.DeliveryIdsAsync(stack)).Order());
        Assert.Superset(new HashSet<Guid>([successJustIn, successYoung, failedJustIn, failedPastSuccessAge, pendingAncient, retryingAncient,
            sharedSuccessYoung]), await RetentionRows.DeliveryIdsAsync(stack));
        Assert.Equal(attemptsBefore - 10, await RetentionRows.AttemptCountAsync(stack));

        var events = await RetentionRows.EventIdsAsync(stack);
        Assert.Equal(eventsBefore.Count - 2, events.Count);
        Assert.DoesNotContain(eventOldAlone, events);
        Assert.Contains(eventYoungAlone, events);
        Assert.Contains(sharedEvent, events);

        // The cut-offs come from the occurrence, so running it again finds nothing more.
        Assert.Equal(new RetentionResult(true, 0, 0, 0, 0, 0), await RetentionRows.Cleaner(stack).RunOnceAsync(Now, ct));
    }

    [Fact]
    public async Task Deletes_in_batches_of_BatchSize()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var hook = (await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"])).WebhookId;
        for (var i = 0; i < 4; i++) await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Now - (95 + i) * Day);
        for (var i = 0; i < 3; i++) await RetentionRows.FinishedAsync(stack, tenant, hook, Failed, Now - (125 + i) * Day, attempts: 2);
        var kept = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Now - 5 * Day);

        var result = await RetentionRows.Cleaner(stack, batchSize: 2).RunOnceAsync(Now, ct);

        // Successful 2+2 (then an empty probe), failed 2+1, events of the failed ones 2+1.
        Assert.Equal(new RetentionResult(true, 4, 3, 4 + 6, 3, Batches: 6), result);
        Assert.Equal([kept], await RetentionRows.DeliveryIdsAsync(stack));
    }

    [Fact]
    public async Task Two_Dispatchers_cleaning_the_same_occurrence_delete_each_row_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var hook = (await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"])).WebhookId;
        for (var i = 0; i < 30; i++) await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Now - (91 + i) * Day);

        var results = await Task.WhenAll(
            Task.Run(() => RetentionRows.Cleaner(stack, batchSize: 3).RunOnceAsync(Now, ct), ct),
            Task.Run(() => RetentionRows.Cleaner(stack, batchSize: 3).RunOnceAsync(Now, ct), ct));

        Assert.Contains(results, r => r.Ran);
        Assert.Equal(30, results.Sum(r => r.SuccessfulDeliveries));
        Assert.Equal(30, results.Sum(r => r.Attempts));
        Assert.Empty(await RetentionRows.DeliveryIdsAsync(stack));
    }
}
