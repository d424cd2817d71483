using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;
using Webhooks.Core.Options;

namespace Webhooks.Api.Limits;

/// <summary>
/// <c>Webhooks:Limits:PublishPerSecondPerTenant</c>: a token bucket per tenant in Redis (RedisRateLimiting), so the
/// limit holds across every Api process and a request gets the same answer whichever one it lands on. A publish takes
/// one token per event. The bucket holds a second's worth or one full batch, whichever is more, and refills in steps
/// of about a tenth of a second.
/// </summary>
/// <remarks>One Redis round trip per publish request. Redis holds only the schedule, and publishing keeps working
/// without it (the reconciler schedules what was accepted), so an unreachable Redis lets every publish through rather
/// than refusing them all.</remarks>
internal sealed partial class PublishRateLimit : IAsyncDisposable
{
    private readonly PartitionedRateLimiter<Guid>? _limiter;
    private readonly int _rate;
    private readonly ILogger<PublishRateLimit> _logger;

    public PublishRateLimit(IConnectionMultiplexer redis, IOptions<LimitsOptions> limits, IOptions<RedisOptions> redisOptions,
        ILogger<PublishRateLimit> logger)
    {
        _logger = logger;
        _rate = limits.Value.PublishPerSecondPerTenant;
        if (_rate == 0) return;
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

    /// <summary>Takes one token per event: null when the tenant may publish them now, else how long to wait.</summary>
    public async ValueTask<TimeSpan?> TryAcquireAsync(Guid tenantId, int events, CancellationToken ct)
    {
        if (_limiter is null) return null;
        try
        {
            using var lease = await _limiter.AcquireAsync(tenantId, events, ct);
            if (lease.IsAcquired) return null;
            // The library answers the time to the next refill step; a batch may need several.
            var seconds = lease.TryGetMetadata(RateLimitMetadataName.RetryAfter.Name, out var after) && after is int s ? s : 1;
            if (lease.TryGetMetadata(RateLimitMetadataName.Remaining.Name, out var left) && left is long remaining)
                seconds = Math.Max(seconds, (int)Math.Ceiling((events - remaining) / (double)_rate));
            return TimeSpan.FromSeconds(Math.Max(1, seconds));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogUnavailable(e);
            return null;
        }
    }

    public ValueTask DisposeAsync() => _limiter?.DisposeAsync() ?? ValueTask.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "Redis is unreachable: the publish rate limit is not enforced until it is back")]
    private partial void LogUnavailable(Exception exception);
}
