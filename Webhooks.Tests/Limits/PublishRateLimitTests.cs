using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Webhooks.Api.Limits;
using Webhooks.Core.Options;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Limits;

/// <summary>
/// <see cref="PublishRateLimit"/>'s spare tokens: a publish takes a twentieth of the rate more than it needs from the
/// tenant's shared bucket and spends the spares on the tenant's next publishes, without a bucket round trip, for up to
/// a second. The bucket here counts what it is asked (<see cref="CountingBucket"/>); the last test runs two limiters on
/// the real Redis buckets, as two Api processes would.
/// </summary>
public sealed class PublishRateLimitTests(InfrastructureFixture infrastructure)
{
    private static readonly Guid Tenant = Guid.NewGuid();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task One_bucket_round_trip_serves_a_twentieth_of_the_rate_of_single_publishes()
    {
        var bucket = new CountingBucket(budget: 10_000);
        var limit = Limit(bucket, rate: 1000); // 50 spares

        for (var i = 0; i < 52; i++) Assert.Null(await limit.TryAcquireAsync(Tenant, 1, Ct));

        // The 1st took 1 + 50; the 2nd to the 51st spent the spares; the 52nd took another 1 + 50.
        Assert.Equal([51, 51], bucket.Asked);
        Assert.Equal(10_000 - 102, bucket.Budget);
    }

    [Fact]
    public async Task Spares_are_not_spent_a_second_or_more_after_they_were_taken_nor_by_another_tenant()
    {
        var bucket = new CountingBucket(budget: 10_000);
        var limit = Limit(bucket, rate: 1000);

        Assert.Null(await limit.TryAcquireAsync(Tenant, 1, Ct));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Null(await limit.TryAcquireAsync(Tenant, 1, Ct)); // a spare
        Assert.Null(await limit.TryAcquireAsync(Guid.NewGuid(), 1, Ct)); // another tenant's own bucket round trip
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await limit.TryAcquireAsync(Tenant, 1, Ct)); // the spares have expired: the bucket again

        Assert.Equal([51, 51, 51], bucket.Asked);
        // The expired spares are dropped, not added to: 50 more publishes are served here, the next one asks again.
        for (var i = 0; i < 50; i++) Assert.Null(await limit.TryAcquireAsync(Tenant, 1, Ct));
        Assert.Equal(3, bucket.Asked.Count);
        Assert.Null(await limit.TryAcquireAsync(Tenant, 1, Ct));
        Assert.Equal(4, bucket.Asked.Count);
    }

    [Fact]
    public async Task Near_the_limit_a_publish_takes_exactly_its_own_tokens_and_is_refused_only_when_they_are_not_there()
    {
        var bucket = new CountingBucket(budget: 10);
        var limit = Limit(bucket, rate: 1000);

        Assert.Null(await limit.TryAcquireAsync(Tenant, 3, Ct)); // 53 refused, 3 taken
        Assert.Equal(7, bucket.Budget);
        Assert.Equal(TimeSpan.FromSeconds(1), await limit.TryAcquireAsync(Tenant, 8, Ct)); // 58 refused, 8 refused
        Assert.Null(await limit.TryAcquireAsync(Tenant, 7, Ct));

        Assert.Equal([53, 3, 58, 8, 57, 7], bucket.Asked);
        Assert.Equal(0, bucket.Budget);
    }

    [Fact]
    public async Task Below_20_events_a_second_there_are_no_spares_and_with_the_limit_off_no_bucket()
    {
        var bucket = new CountingBucket(budget: 100);
        var slow = Limit(bucket, rate: 19);
        for (var i = 0; i < 3; i++) Assert.Null(await slow.TryAcquireAsync(Tenant, 2, Ct));
        Assert.Equal([2, 2, 2], bucket.Asked);

        var off = Limit(bucket, rate: 0);
        Assert.Null(await off.TryAcquireAsync(Tenant, 1000, Ct));
        Assert.Equal(3, bucket.Asked.Count);
    }

    /// <summary>Two Api processes' limiters on the real Redis buckets: the spares each holds come out of the one bucket,
    /// so what both accept together is still one bucket's worth plus what refilled meanwhile.</summary>
    [Fact]
    public async Task Two_limiters_on_the_real_redis_bucket_accept_one_buckets_worth_between_them()
    {
        const int rate = 200; // a bucket of 1000 (one full batch), 10 spares
        await using var redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.RedisConnectionString);
        var prefix = Options.Create(new RedisOptions { KeyPrefix = $"rate-test-{Guid.NewGuid():N}" });
        var limits = Options.Create(new LimitsOptions { PublishPerSecondPerTenant = rate });
        await using var firstBuckets = new TenantTokenBuckets(redis, limits, prefix, NullLogger<TenantTokenBuckets>.Instance);
        await using var secondBuckets = new TenantTokenBuckets(redis, limits, prefix, NullLogger<TenantTokenBuckets>.Instance);
        var first = new PublishRateLimit(firstBuckets, limits, TimeProvider.System);
        var second = new PublishRateLimit(secondBuckets, limits, TimeProvider.System);

        var started = TimeProvider.System.GetTimestamp();
        var accepted = await Task.WhenAll(SpendAsync(first), SpendAsync(second));
        var refilled = (int)Math.Ceiling(TimeProvider.System.GetElapsedTime(started).TotalSeconds * rate) + rate / 10;

        Assert.True(accepted[0] > 0 && accepted[1] > 0, $"both limiters accepted some ({accepted[0]}, {accepted[1]})");
        Assert.InRange(accepted.Sum(), 1000, 1000 + refilled);
    }

    /// <summary>Single events until the limiter refuses one.</summary>
    private static async Task<int> SpendAsync(PublishRateLimit limit)
    {
        var accepted = 0;
        while (await limit.TryAcquireAsync(Tenant, 1, Ct) is null)
            Assert.True(++accepted < 100_000, "the limit never refused");
        return accepted;
    }

    private PublishRateLimit Limit(ITenantTokenBuckets bucket, int rate) =>
        new(bucket, Options.Create(new LimitsOptions { PublishPerSecondPerTenant = rate }), _time);

    /// <summary>A bucket that never refills, and remembers what it was asked.</summary>
    private sealed class CountingBucket(int budget) : ITenantTokenBuckets
    {
        public int Budget { get; private set; } = budget;
        public List<int> Asked { get; } = [];

        public ValueTask<TimeSpan?> TryTakeAsync(Guid tenantId, int tokens, CancellationToken ct)
        {
            Asked.Add(tokens);
            if (tokens > Budget) return ValueTask.FromResult<TimeSpan?>(TimeSpan.FromSeconds(1));
            Budget -= tokens;
            return ValueTask.FromResult<TimeSpan?>(null);
        }
    }
}
