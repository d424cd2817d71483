using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Webhooks.Core.Alerts;
using Webhooks.Core.Data;
using Webhooks.Core.Options;
using Webhooks.Core.Queue;
using Webhooks.Core.Secrets;

namespace Webhooks.Core;

public static class CoreExtensions
{
    public const string DatabaseConnectionName = "webhooksdb";
    public const string RedisConnectionName = "redis";

    /// <summary>What both services need: Postgres, Redis, validated settings, the clock and secret encryption.</summary>
    public static IHostApplicationBuilder AddWebhooksCore(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<WebhooksDbContext>(DatabaseConnectionName,
            // No EF retry strategy: with Postgres down the Api should answer 503 at once (not after ~30 s of
            // retries), and the Dispatcher already survives failures through leases, the reaper and the reconciler.
            // It would also forbid the explicit transactions publishing and recording use.
            settings =>
            {
                settings.DisableRetry = true;
                settings.ConnectionString = Tuned(settings.ConnectionString);
            },
            options => options.UseSnakeCaseNamingConvention());
        // No span per Redis command: the instrumentation profiles every command (measurable CPU at thousands of claims
        // and acks a second), and the spans only cluttered traces whose story the publish and deliver spans tell.
        builder.AddRedisClient(RedisConnectionName, settings => settings.DisableTracing = true);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SecretProtector>();
        // First hosted service of both services: a process whose keys cannot open the stored secrets never starts.
        builder.Services.AddSingleton<EncryptionKeyCheck>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EncryptionKeyCheck>());
        builder.Services.AddSingleton<DeliveryQueue>();
        builder.Services.AddSingleton<WebhookFailureTracker>();

        builder.Services.AddSingleton<OptionsValidation>();
        builder.AddValidatedOptions<DeliveryOptions>(DeliveryOptions.Section);
        builder.AddValidatedOptions<AlertsOptions>(AlertsOptions.Section);
        builder.AddValidatedOptions<RetentionOptions>(RetentionOptions.Section);
        builder.AddValidatedOptions<ReconcilerOptions>(ReconcilerOptions.Section);
        builder.AddValidatedOptions<EventsOptions>(EventsOptions.Section);
        builder.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section);
        builder.AddValidatedOptions<SecretsOptions>(SecretsOptions.Section);

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

    /// <summary>
    /// Measured with ./bench.sh: Postgres' CPU went mostly to parsing and planning the same few statements and to
    /// resetting every pooled connection. Auto-prepare keeps the hot statements planned per connection, and no
    /// reset on close is safe because no code sets session state. Values already in the connection string win.
    /// </summary>
    private static string? Tuned(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString)) return connectionString;
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.MaxAutoPrepare = 64;
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    private static void AddValidatedOptions<T>(this IHostApplicationBuilder builder, string section) where T : class
    {
        builder.Services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        if (typeof(IValidateOptions<T>).IsAssignableFrom(typeof(OptionsValidation)))
            builder.Services.AddSingleton(sp => (IValidateOptions<T>)(object)sp.GetRequiredService<OptionsValidation>());
    }
}
