using Microsoft.EntityFrameworkCore;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Webhooks.Core.Data;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Options;
using Webhooks.Core.Queue;
using Webhooks.Core.Secrets;

namespace Webhooks.Core;

public static class CoreExtensions
{
    /// <summary>What both services need: Postgres, Redis, validated settings, the clock and secret encryption.</summary>
    public static IHostApplicationBuilder AddWebhooksCore(this IHostApplicationBuilder builder)
    {
        // One data source (pool and type mappings) for EF and the hand-written statements alike: see WebhooksDatabase.
        builder.AddNpgsqlDataSource(ResourceNames.Database,
            settings =>
            {
                if (!string.IsNullOrEmpty(settings.ConnectionString)) settings.ConnectionString = WebhooksDatabase.Tuned(settings.ConnectionString);
            },
            dataSource => dataSource.MapWebhooksTypes());
        builder.Services.AddDbContextPool<WebhooksDbContext>((services, options) =>
            options.UseWebhooksDatabase(services.GetRequiredService<NpgsqlDataSource>()));
        // No span per Redis command: the instrumentation profiles every command (measurable CPU at thousands of claims
        // and acks a second), and the spans only cluttered traces whose story the publish and deliver spans tell.
        // allowAdmin: on a Redis Cluster the health check asks CLUSTER INFO, an admin command, so an operator's connection
        // string can be the cluster's node list and nothing more. The services themselves issue no admin command.
        builder.AddRedisClient(ResourceNames.Redis, settings => settings.DisableTracing = true, options => options.AllowAdmin = true);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SecretProtector>();
        // First hosted service of both services: a process whose keys cannot open the stored secrets never starts.
        builder.Services.AddSingleton<EncryptionKeyCheck>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EncryptionKeyCheck>());
        builder.Services.AddSingleton(services => new QueueKeys(services.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix));
        builder.Services.AddSingleton(services => InFlightCaps.From(services.GetRequiredService<IOptions<DeliveryOptions>>().Value));
        builder.Services.AddSingleton<DeliveryQueue>();
        builder.Services.AddSingleton<DeliveryScheduler>();
        builder.Services.AddSingleton<DeliveryRequeue>();

        builder.Services.AddSingleton<OptionsValidation>();
        builder.AddValidatedOptions<DeliveryOptions>(DeliveryOptions.Section);
        builder.AddValidatedOptions<AlertsOptions>(AlertsOptions.Section);
        builder.AddValidatedOptions<RetentionOptions>(RetentionOptions.Section);
        builder.AddValidatedOptions<ReconcilerOptions>(ReconcilerOptions.Section);
        builder.AddValidatedOptions<EventsOptions>(EventsOptions.Section);
        builder.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section);
        builder.AddValidatedOptions<SecretsOptions>(SecretsOptions.Section);
        builder.AddValidatedOptions<RedisOptions>(RedisOptions.Section);

        // Lists bind by appending to an initialized default, so defaults are filled in only when nothing was configured.
        builder.Services.PostConfigure<DeliveryOptions>(o =>
        {
            if (o.RetrySchedule.Length == 0) o.RetrySchedule = DeliveryOptions.DefaultRetrySchedule;
        });
        builder.Services.PostConfigure<AlertsOptions>(o =>
        {
            if (o.Thresholds.Length == 0) o.Thresholds = AlertsOptions.DefaultThresholds;
        });
        return builder;
    }

    private static void AddValidatedOptions<T>(this IHostApplicationBuilder builder, string section) where T : class
    {
        builder.Services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        if (typeof(IValidateOptions<T>).IsAssignableFrom(typeof(OptionsValidation)))
            builder.Services.AddSingleton(sp => (IValidateOptions<T>)(object)sp.GetRequiredService<OptionsValidation>());
    }
}
