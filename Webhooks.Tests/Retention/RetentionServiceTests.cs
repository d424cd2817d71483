using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Options;
using Webhooks.Dispatcher.Upkeep.Retention;
using Webhooks.Tests.Alerts;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Core.Data.Entities.DeliveryStatus;

namespace Webhooks.Tests.Retention;

public sealed class RetentionServiceTests(InfrastructureFixture infrastructure)
{
    // A Saturday noon: the default schedule's next occurrence is Sunday 04:00 UTC, 16 hours on.
    private static readonly DateTimeOffset Saturday = new(2026, 6, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Sunday4 = new(2026, 6, 7, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Cleans_at_the_cron_occurrence_and_not_before_even_with_two_instances()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var hook = (await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"])).WebhookId;
        var old = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Saturday.AddDays(-91), attempts: 2);
        var young = await RetentionRows.FinishedAsync(stack, tenant, hook, Success, Saturday.AddDays(-30));
        var clock = new FakeTimeProvider(Saturday);
        using var first = Service(stack, clock);
        using var second = Service(stack, clock);

        await first.StartAsync(ct);
        await second.StartAsync(ct);
        await Eventually.True(() => Task.FromResult(first.NextRunAt == Sunday4 && second.NextRunAt == Sunday4), "both to wait for Sunday 04:00");

        clock.Advance(Sunday4 - Saturday - TimeSpan.FromSeconds(1));
        // Their timers have not fired, so neither can have run; the state is checked after the jump, not raced.
        Assert.Null(first.LastResult);
        Assert.Null(second.LastResult);
        Assert.Contains(old, await RetentionRows.DeliveryIdsAsync(stack));

        clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.True(() => Task.FromResult(first.LastResult is not null && second.LastResult is not null), "both runs to finish");
        Assert.Equal(1, first.LastResult!.SuccessfulDeliveries + second.LastResult!.SuccessfulDeliveries);
        Assert.Equal(2, first.LastResult.Attempts + second.LastResult.Attempts);
        Assert.Equal([young], await RetentionRows.DeliveryIdsAsync(stack));
        await Eventually.True(() => Task.FromResult(first.NextRunAt == Sunday4.AddDays(7)), "the next run a week later");

        await first.StopAsync(ct);
        await second.StopAsync(ct);
    }

    [Fact]
    public async Task The_Dispatcher_runs_the_service_on_the_configured_schedule()
    {
        await using var stack = await TestStack.StartAsync(infrastructure,
            new Dictionary<string, string?> { ["Webhooks:Retention:Schedule"] = "30 2 * * 1" });

        var service = stack.DispatcherServices.GetRequiredService<RetentionService>();

        Assert.Contains(service, stack.DispatcherServices.GetServices<IHostedService>());
        var next = await Eventually.Get(() => Task.FromResult(service.NextRunAt), n => n is not null, "a scheduled run");
        Assert.Equal((DayOfWeek.Monday, 2, 30, TimeSpan.Zero), (next!.Value.DayOfWeek, next.Value.Hour, next.Value.Minute, next.Value.Offset));
        Assert.InRange(next.Value - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromDays(7));
    }

    private static RetentionService Service(TestStack stack, FakeTimeProvider clock) =>
        new(RetentionRows.Cleaner(stack), clock, Microsoft.Extensions.Options.Options.Create(new RetentionOptions()),
            NullLogger<RetentionService>.Instance);
}
