namespace Webhooks.Api.Features.Shared;

internal static class TimeProviderExtensions
{
    /// <summary>Now, cut to the microsecond Postgres keeps, so a response written before the insert shows the same
    /// time as every later read of the row.</summary>
    public static DateTimeOffset GetUtcNowForDb(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
