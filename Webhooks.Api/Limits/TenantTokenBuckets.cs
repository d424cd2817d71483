using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;
using Webhooks.Core.Options;

namespace Webhooks.Api.Limits;

/// <summary>Where <see cref="PublishRateLimit"/> takes its tokens from: one bucket per tenant, shared by every Api
/// process.</summary>
internal interface ITenantTokenBuckets
{
    /// <summary>Takes <paramref name="tokens"/> from the tenant's bucket, all or none: null when taken, else how long
    /// until that many are there.</summary>
    ValueTask<TimeSpan?> TryTakeAsync(Guid tenantId, int tokens, CancellationToken ct);
}

/// <summary>
/// The tenants' token buckets in Redis (RedisRateLimiting), so the publish limit holds across every Api process. A
/// bucket holds a second's worth (<c>Webhooks:Limits:PublishPerSecondPerTenant</c>) or one full batch, whichever is
/// more, and refills in steps of about a tenth of a second.
/// </summary>
/// <remarks>Redis holds only the schedule, and publishing keeps working without it (the reconciler schedules what was
/// accepted), so an unreachable Redis lets every publish through rather than refusing them all.</remarks>
internal sealed partial class TenantTokenBuckets : ITenantTokenBuckets, IAsyncDisposable
{
    private readonly PartitionedRateLimiter<Guid> _limiter;
    private readonly int _rate;
    private readonly ILogger<TenantTokenBuckets> _logger;

    public TenantTokenBuckets(IConnectionMultiplexer redis, IOptions<LimitsOptions> limits, IOptions<RedisOptions> redisOptions,
        ILogger<TenantTokenBuckets> logger)
    {
        _logger = logger;
        // (Never asked for when the limit is off; a rate of 1 keeps the options valid all the same.)
        _rate = Math.Max(1, limits.Value.PublishPerSecondPerTenant);
        var step = (_rate + 9) / 10;
        var options = new RedisTokenBucketRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis,
            TokenLimit = Math.Max(_rate, Features.Events.PublishBatch.Request.MaxEvents),
            TokensPerPeriod = step,
            ReplenishmentPeriod = TimeSpan.FromSeconds((double)step / _rate),
        };
        // One key per tenant under the deployment's prefix. The library wraps the whole name in a hash tag of its own:
        // each tenant's bucket lives in its own cluster slot, and its script touches only that key.
        var prefix = redisOptions.Value.KeyPrefix;
        _limiter = PartitionedRateLimiter.Create<Guid, Guid>(tenant => RateLimitPartition.Get(tenant,
            t => new RedisTokenBucketRateLimiter<string>($"{prefix}:publish:{t:N}", options)));
    }

    public async ValueTask<TimeSpan?> TryTakeAsync(Guid tenantId, int tokens, CancellationToken ct)
    {
        try
        {
            using var lease = await _limiter.AcquireAsync(tenantId, tokens, ct);
            if (lease.IsAcquired) return null;
            // The library answers the time to the next refill step; a batch may need several.
            var seconds = lease.TryGetMetadata(RateLimitMetadataName.RetryAfter.Name, out var after) && after is int s ? s : 1;
            if (lease.TryGetMetadata(RateLimitMetadataName.Remaining.Name, out var left) && left is long remaining)
                seconds = Math.Max(seconds, (int)Math.Ceiling((tokens - remaining) / (double)_rate));
            return TimeSpan.FromSeconds(Math.Max(1, seconds));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogUnavailable(e);
            return null;
        }
    }

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();

    [LoggerMessage(LogLevel.Warning, "Redis is unreachable: the publish rate limit is not enforced until it is back")]
    private partial void LogUnavailable(Exception exception);
}
