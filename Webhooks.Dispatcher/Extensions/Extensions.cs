using Webhooks.Core;
using Webhooks.Dispatcher.Retention;

namespace Webhooks.Dispatcher.Extensions;

internal static class Extensions
{
    public static void AddDispatcherServices(this WebApplicationBuilder builder)
    {
        builder.AddWebhooksCore();
        builder.Services.AddSingleton<DispatcherTelemetry>();
        builder.Services.AddRetention();
    }
}
