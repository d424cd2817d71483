namespace Webhooks.Dispatcher.Upkeep.Retention;

internal static class RetentionExtensions
{
    /// <summary>The weekly cleanup and the partitions it drops; the services are also resolvable by their types (next-run
    /// time, partitions made on demand).</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddSingleton<PartitionMaintainer>();
        services.AddHostedService(sp => sp.GetRequiredService<PartitionMaintainer>());
        services.AddSingleton<RetentionCleaner>();
        services.AddSingleton<RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());
        return services;
    }
}
