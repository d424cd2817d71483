namespace Webhooks.Dispatcher.Upkeep.Retention;

internal static class RetentionExtensions
{
    /// <summary>The weekly cleanup; the service is also resolvable by its type, for its next-run time.</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddSingleton<RetentionCleaner>();
        services.AddSingleton<RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());
        return services;
    }
}
