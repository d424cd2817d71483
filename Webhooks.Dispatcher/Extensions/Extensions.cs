using Microsoft.EntityFrameworkCore;
using Webhooks.Core;
using Webhooks.Core.Data;
using Webhooks.Dispatcher.Processing;
using Webhooks.Dispatcher.Retention;
using Webhooks.Dispatcher.Scheduling;
using Webhooks.Dispatcher.Sending;
using Webhooks.Dispatcher.Telemetry;

namespace Webhooks.Dispatcher.Extensions;

internal static class Extensions
{
    public static void AddDispatcherServices(this WebApplicationBuilder builder)
    {
        builder.AddWebhooksCore();
        builder.Services.AddSingleton<DispatcherTelemetry>();
        builder.Services.AddSingleton<DispatcherMetrics>();

        // Sending: one long-lived client with its own handler (see WebhookSender for why not IHttpClientFactory).
        builder.Services.AddSingleton<WebhookSender>();

        // Processing: claim → send → record → ack or reschedule.
        builder.Services.AddSingleton<RetryPolicy>();
        builder.Services.AddSingleton<WebhookHealthRecorder>();
        builder.Services.AddSingleton<AttemptRecorder>();
        builder.Services.AddSingleton<DatabaseBackoff>();
        // One instance, both the service workers hand attempts to and a hosted loop; registered before the delivery
        // loop so that it stops after it (hosted services stop in reverse order) and writes the drained attempts.
        builder.Services.AddSingleton<AttemptWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AttemptWriter>());
        builder.Services.AddSingleton<WakeSignal>();
        builder.Services.AddSingleton<DeliveryProcessor>();
        builder.Services.AddHostedService<DeliveryLoop>();

        // Scheduling upkeep: expired leases back to due, Postgres' live deliveries back into Redis, queue gauges.
        builder.Services.AddHostedService<LeaseReaper>();
        builder.Services.AddHostedService<ScheduleReconciler>();
        builder.Services.AddHostedService<QueueSampler>();

        // Weekly cleanup of old deliveries.
        builder.Services.AddRetention();
    }
}
