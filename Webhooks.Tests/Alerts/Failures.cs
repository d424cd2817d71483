using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;
using Webhooks.Dispatcher;
using Webhooks.Dispatcher.Alerts;
using Webhooks.Dispatcher.Telemetry;
using Webhooks.Core.Data.Entities;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Alerts;

/// <summary>Calls the Dispatcher's <see cref="WebhookHealth"/> the way recording does: in a transaction of its own,
/// committed after.</summary>
internal static class Failures
{
    /// <summary>The Dispatcher's webhook health, with the stack's settings and clock (the stack may run no Dispatcher).</summary>
    public static WebhookHealth Health(TestStack stack) => new(stack.ApiServices.GetRequiredService<TimeProvider>(),
        stack.ApiServices.GetRequiredService<IOptions<AlertsOptions>>(),
        new DispatcherMetrics(new DispatcherTelemetry(new TestMeterFactory()), TimeProvider.System), NullLogger<WebhookHealth>.Instance);

    // A name that never resolves: should anything try to send to these webhooks, it fails fast and goes nowhere.
    public const string Url = "https://hooks.example.invalid/orders";

    public static async Task<FailureOutcome> RecordAsync(TestStack stack, Guid webhookId, int? statusCode = 500, string? error = null,
        Guid? deliveryId = null)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = stack.CreateDbContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var outcome = await Health(stack).RecordFailureAsync(db, webhookId, deliveryId ?? Guid.CreateVersion7(), statusCode, error, ct);
        await tx.CommitAsync(ct);
        return outcome;
    }

    public static async Task RecordSuccessAsync(TestStack stack, Guid webhookId)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = stack.CreateDbContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await Health(stack).RecordSuccessesAsync(db, [webhookId], ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>What PATCH /v1/webhooks/{id} with <c>active:true</c> does to the row.</summary>
    public static async Task ReEnableAsync(TestStack stack, Guid webhookId)
    {
        await using var db = stack.CreateDbContext();
        await db.Webhooks.Where(w => w.Id == webhookId).ExecuteUpdateAsync(s => s
            .SetProperty(w => w.Active, true).SetProperty(w => w.ConsecutiveFailures, 0)
            .SetProperty(w => w.DisabledAt, (DateTimeOffset?)null).SetProperty(w => w.DisabledReason, (string?)null),
            TestContext.Current.CancellationToken);
    }

    public static async Task<List<Notification>> NotificationsAsync(TestStack stack, Guid webhookId)
    {
        await using var db = stack.CreateDbContext();
        return await db.Notifications.AsNoTracking().Where(n => n.WebhookId == webhookId)
            .ToListAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<Webhook> WebhookAsync(TestStack stack, Guid webhookId)
    {
        await using var db = stack.CreateDbContext();
        return await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhookId, TestContext.Current.CancellationToken);
    }

    /// <summary>"kind@count" per notification of one user, e.g. <c>webhook.failing@3</c>, in the order they were sent.</summary>
    public static string[] Summary(IEnumerable<Notification> notifications, Guid userId) =>
    [
        .. notifications.Where(n => n.UserId == userId)
            .OrderBy(n => n.CreatedAt).ThenBy(n => n.Kind == NotificationKinds.WebhookFailing ? 0 : 1)
            .Select(n => $"{n.Kind}@{System.Text.Json.JsonDocument.Parse(n.Details).RootElement.GetProperty("consecutiveFailures").GetInt32()}"),
    ];
}
