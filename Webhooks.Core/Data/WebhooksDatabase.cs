using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data;

/// <summary>
/// The one place that says how code reaches Postgres: one <see cref="NpgsqlDataSource"/> (one connection pool, one set
/// of type mappings) serves both the <see cref="WebhooksDbContext"/> and the hand-written statements of the hot paths,
/// in both services, the tests and <c>dotnet ef</c>.
/// </summary>
/// <remarks>
/// No EF retry strategy, anywhere: with Postgres down the Api answers 503 at once (not after ~30 s of retries), and the
/// Dispatcher already survives a failed read or write through leases, the lease reaper, the reconciler and its claim
/// backoff; a retry would only hold a send slot past the lease and double the work. Without a retrying strategy,
/// explicit transactions need no <c>CreateExecutionStrategy</c> wrapper.
/// </remarks>
public static class WebhooksDatabase
{
    /// <summary>The Postgres enum that stores <see cref="DeliveryStatus"/>, labels in lower case (<c>pending</c>, …).</summary>
    public const string DeliveryStatusType = "delivery_status";

    /// <summary>The type mappings every connection needs: hand-written SQL binds and reads the status enum as EF does.</summary>
    public static NpgsqlDataSourceBuilder MapWebhooksTypes(this NpgsqlDataSourceBuilder builder)
    {
        builder.MapEnum<DeliveryStatus>(DeliveryStatusType);
        return builder;
    }

    /// <summary>A data source outside dependency injection (tests, <c>dotnet ef</c>); the services get theirs from
    /// Aspire's <c>AddNpgsqlDataSource</c> (see CoreExtensions).</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString) =>
        new NpgsqlDataSourceBuilder(Tuned(connectionString)).MapWebhooksTypes().Build();

    public static DbContextOptionsBuilder UseWebhooksDatabase(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options.UseNpgsql(dataSource, npgsql => npgsql.MapEnum<DeliveryStatus>(DeliveryStatusType)).UseSnakeCaseNamingConvention();

    public static DbContextOptions<WebhooksDbContext> ContextOptions(NpgsqlDataSource dataSource)
    {
        var options = new DbContextOptionsBuilder<WebhooksDbContext>();
        options.UseWebhooksDatabase(dataSource);
        return options.Options;
    }

    /// <summary>
    /// Measured with ./bench.sh: Postgres' CPU went mostly to parsing and planning the same few statements and to
    /// resetting every pooled connection. Auto-prepare keeps the hot statements planned per connection, and no
    /// reset on close is safe because no code sets session state. Values already in the connection string win.
    /// Generic plans: deliveries, attempts and events are partitioned by week, and for a prepared statement over a
    /// partitioned table Postgres' default ("auto") keeps choosing a custom plan, so it planned every execution again,
    /// expanding every partition: perf of Postgres at 100 events/s (./bench.sh --only latency) showed 28% of its CPU in
    /// the planner, twice the execution. A generic plan is planned once per connection and prunes partitions when it
    /// starts instead; the same 15 s profile took 1,573 samples against 2,318, and the planner 2.5% of them.
    /// </summary>
    public static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.MaxAutoPrepare = 64;
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        if (!connectionString.Contains("plan_cache_mode", StringComparison.OrdinalIgnoreCase))
            builder.Options = $"{builder.Options} -c plan_cache_mode=force_generic_plan".Trim();
        return builder.ConnectionString;
    }
}
