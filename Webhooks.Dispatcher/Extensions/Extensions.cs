using Webhooks.Core;
using Webhooks.Dispatcher.Alerts;
using Webhooks.Dispatcher.Claiming;
using Webhooks.Dispatcher.Recording;
using Webhooks.Dispatcher.Retrying;
using Webhooks.Dispatcher.Sending;
using Webhooks.Dispatcher.Telemetry;
using Webhooks.Dispatcher.Upkeep;
using Webhooks.Dispatcher.Upkeep.Retention;

namespace Webhooks.Dispatcher.Extensions;

internal static class Extensions
{
    /// <summary>The pipeline of one delivery, in the order of its folders: claim → send → record → retry → alert, and
    /// the upkeep that keeps the schedule whole.</summary>
    public static void AddDispatcherServices(this WebApplicationBuilder builder)
    {
        builder.AddWebhooksCore();
        builder.Services.AddSingleton<DispatcherTelemetry>();
        builder.Services.AddSingleton<DispatcherMetrics>();

        // Claiming: the loop claims due deliveries from Redis and hands them to the processor.
        builder.Services.AddSingleton<WakeSignal>();
        builder.Services.AddSingleton<ClaimBackoff>();
        // Sending: one long-lived client with its own handler (see WebhookSender for why not IHttpClientFactory).
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddSingleton<DeliveryProcessor>();
        // Recording: one instance, both the service workers hand attempts to and a hosted service; registered before
        // the delivery loop so that it stops after it (hosted services stop in reverse order) and writes the drained
        // attempts.
        builder.Services.AddSingleton<AttemptBatch>();
        builder.Services.AddSingleton<AttemptRecorder>();
        builder.Services.AddSingleton<DeliveryAcks>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AttemptRecorder>());
        // Retrying and alerts: decided while recording.
        builder.Services.AddSingleton<RetryPolicy>();
        builder.Services.AddSingleton<WebhookHealth>();
        builder.Services.AddHostedService<DeliveryLoop>();

        // Upkeep: expired leases back to due, Postgres' live deliveries back into Redis, queue gauges, weekly cleanup.
        builder.Services.AddHostedService<LeaseReaper>();
        builder.Services.AddHostedService<ScheduleReconciler>();
        builder.Services.AddHostedService<QueueSampler>();
        builder.Services.AddRetention();
    }
}
