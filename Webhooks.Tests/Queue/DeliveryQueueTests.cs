using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Webhooks.Core.Queue;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Queue;

/// <summary>
/// The two tiers of the schedule against real Redis: deliveries due beyond the near horizon wait in later buckets,
/// claims promote them into the due set, and they are claimed at their exact due time. Every "now" is explicit. Each
/// test runs on the standalone Redis and on the 3-master cluster (every key of the schedule in one slot).
/// </summary>
public abstract class DeliveryQueueTests(InfrastructureFixture infrastructure, RedisBackend backend) : IAsyncLifetime
{
    public sealed class Standalone(InfrastructureFixture infrastructure) : DeliveryQueueTests(infrastructure, RedisBackend.Standalone);

    public sealed class Cluster(InfrastructureFixture infrastructure) : DeliveryQueueTests(infrastructure, RedisBackend.Cluster);

    // On a minute boundary, so bucket starts are easy to see: a delivery due at Now + 1 h 0 min 42 s is in the bucket
    // starting at Now + 1 h, promoted from Now + 58 min.
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(Now);
    private ConnectionMultiplexer? _redis;
    private DeliveryQueue _queue = null!;
    private IDatabase Db => _redis!.GetDatabase();

    // A schedule of each test's own, beside the stacks' (each test gets a new instance of this class).
    private readonly QueueKeys _keys = new($"queue-test-{Guid.NewGuid():N}");

    public async ValueTask InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.RedisConnectionStringOf(backend));
        _queue = new DeliveryQueue(_redis, _keys, _time);
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is null) return;
        foreach (var key in await KeysAsync(_keys.Tag + "*")) await Db.KeyDeleteAsync(key);
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_delivery_due_later_waits_in_a_bucket_and_is_claimed_at_its_exact_due_time()
    {
        var id = NewDelivery();
        var dueAt = Now + TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(42_123);
        var bucketStart = Now + TimeSpan.FromHours(1);

        await _queue.ScheduleAsync(id, dueAt);

        Assert.Equal(0, await DueCountAsync());
        Assert.Equal(LaterBuckets.EntryBytes, await Db.StringLengthAsync(_keys.LaterBucket(bucketStart.ToUnixTimeMilliseconds())));
        // The Dispatcher is told to claim when the bucket is to be promoted, not an hour later.
        Assert.Equal(bucketStart - DeliveryQueue.NearHorizon, await _queue.NextDueAtAsync());

        Assert.Empty(await _queue.ClaimDueAsync(bucketStart - DeliveryQueue.NearHorizon - TimeSpan.FromMilliseconds(1), 10, Lease));
        Assert.Equal(0, await DueCountAsync());

        Assert.Empty(await _queue.ClaimDueAsync(bucketStart - DeliveryQueue.NearHorizon, 10, Lease));
        Assert.Equal(dueAt.ToUnixTimeMilliseconds(), await Db.SortedSetScoreAsync(_keys.Due, id.ToMember()));
        await AssertNoLaterBucketsAsync();
        Assert.Equal(dueAt, await _queue.NextDueAtAsync());

        Assert.Empty(await _queue.ClaimDueAsync(dueAt - TimeSpan.FromMilliseconds(1), 10, Lease));
        Assert.Equal([id], await _queue.ClaimDueAsync(dueAt, 10, Lease));
        Assert.Null(await _queue.NextDueAtAsync());
    }

    [Fact]
    public async Task A_lease_is_renewed_only_while_its_claim_still_holds_it()
    {
        var id = NewDelivery();
        await _queue.ScheduleAsync(id, Now);
        Assert.Equal([id], await _queue.ClaimDueAsync(Now, 10, Lease));

        // Still this claim's: renewed, and the reaper leaves it alone past the first lease.
        Assert.True(await _queue.RenewLeaseAsync(id, Now + Lease, Now + 2 * Lease));
        Assert.Equal(0, await _queue.ReapExpiredLeasesAsync(Now + Lease + TimeSpan.FromSeconds(1)));
        // Reaped once the renewed lease runs out, and claimed by another Dispatcher: the first claim's renewal (with
        // the lease it was given, or the one it renewed to) is refused, so it does not send.
        Assert.Equal(1, await _queue.ReapExpiredLeasesAsync(Now + 2 * Lease + TimeSpan.FromSeconds(1)));
        Assert.False(await _queue.RenewLeaseAsync(id, Now + 2 * Lease, Now + 3 * Lease));
        var later = Now + 2 * Lease + TimeSpan.FromSeconds(2);
        Assert.Equal([id], await _queue.ClaimDueAsync(later, 10, Lease));
        Assert.False(await _queue.RenewLeaseAsync(id, Now + 2 * Lease, Now + 3 * Lease));
        Assert.True(await _queue.RenewLeaseAsync(id, later + Lease, later + 2 * Lease));
    }

    [Fact]
    public async Task A_delivery_due_within_the_near_horizon_goes_straight_to_the_due_set()
    {
        var id = NewDelivery();

        await _queue.ScheduleAsync(id, Now + DeliveryQueue.NearHorizon);

        Assert.Equal((Now + DeliveryQueue.NearHorizon).ToUnixTimeMilliseconds(), await Db.SortedSetScoreAsync(_keys.Due, id.ToMember()));
        await AssertNoLaterBucketsAsync();
    }

    [Fact]
    public async Task A_retry_hours_ahead_is_rescheduled_into_a_bucket_and_claimed_on_time()
    {
        var id = NewDelivery();
        await _queue.ScheduleAsync(id, Now);
        Assert.Equal([id], await _queue.ClaimDueAsync(Now, 10, Lease));
        var retryAt = Now + TimeSpan.FromHours(4) + TimeSpan.FromMilliseconds(7);

        await _queue.RescheduleAsync(id, retryAt);

        Assert.Equal(0, await InFlightCountAsync());
        Assert.Equal(0, await DueCountAsync());
        Assert.Empty(await _queue.ClaimDueAsync(retryAt - TimeSpan.FromMilliseconds(1), 10, Lease));
        Assert.Equal([id], await _queue.ClaimDueAsync(retryAt, 10, Lease));
    }

    [Fact]
    public async Task A_stale_bucket_entry_never_claims_a_delivery_in_flight_a_second_time()
    {
        var id = NewDelivery();
        var laterAt = Now + TimeSpan.FromMinutes(30);
        await _queue.ScheduleAsync(id, laterAt);
        // A manual retry makes it due now; its worker is still sending when the old time comes round.
        await _queue.ScheduleAsync(id, Now);
        Assert.Equal([id], await _queue.ClaimDueAsync(Now, 10, TimeSpan.FromHours(1)));

        Assert.Empty(await _queue.ClaimDueAsync(laterAt, 10, Lease));

        Assert.Null(await Db.SortedSetScoreAsync(_keys.Due, id.ToMember()));
        Assert.Equal(1, await InFlightCountAsync());
        await AssertNoLaterBucketsAsync();
    }

    [Fact]
    public async Task The_earlier_time_wins_whichever_tier_holds_it()
    {
        // Rescheduled earlier into another bucket: claimed at the earlier time.
        var movedEarlier = NewDelivery();
        await _queue.ScheduleAsync(movedEarlier, Now + TimeSpan.FromHours(1));
        await _queue.ScheduleAsync(movedEarlier, Now + TimeSpan.FromMinutes(10));
        // Both times in one bucket, the later appended last: promotion keeps the earlier.
        var sameBucket = NewDelivery();
        await _queue.ScheduleAsync(sameBucket, Now + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(10));
        await _queue.ScheduleAsync(sameBucket, Now + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(30));
        // In a bucket, then scheduled earlier once that is near: a later entry promoted after does not move it.
        var alreadyDue = NewDelivery();
        await _queue.ScheduleAsync(alreadyDue, Now + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(50));
        _time.Advance(TimeSpan.FromMinutes(8));
        await _queue.ScheduleAsync(alreadyDue, Now + TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(30));
        Assert.Equal(1, await DueCountAsync());

        Assert.Empty(await _queue.ClaimDueAsync(_time.GetUtcNow(), 10, Lease));

        Assert.Equal((Now + TimeSpan.FromMinutes(10)).ToUnixTimeMilliseconds(), await ScoreAsync(movedEarlier));
        Assert.Equal((Now + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(10)).ToUnixTimeMilliseconds(), await ScoreAsync(sameBucket));
        Assert.Equal((Now + TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(30)).ToUnixTimeMilliseconds(), await ScoreAsync(alreadyDue));
        Assert.Equal([alreadyDue], await _queue.ClaimDueAsync(Now + TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(30), 10, Lease));
        Assert.Equal([movedEarlier], await _queue.ClaimDueAsync(Now + TimeSpan.FromMinutes(10), 10, Lease));
    }

    [Fact]
    public async Task A_large_bucket_is_promoted_a_batch_per_claim_and_each_delivery_claimed_once()
    {
        const int count = 2 * DeliveryQueue.PromoteBatch + DeliveryQueue.PromoteBatch / 2;
        var dueAt = Now + TimeSpan.FromMinutes(30);
        var ids = Enumerable.Range(0, count).Select(_ => NewDelivery()).ToList();
        await _queue.ScheduleAsync(ids.Select(id => (id, dueAt + TimeSpan.FromMilliseconds(Random.Shared.Next(60_000)))).ToList());
        var promoteAt = dueAt - DeliveryQueue.NearHorizon;

        Assert.Empty(await _queue.ClaimDueAsync(promoteAt, 100, Lease));
        Assert.Equal(DeliveryQueue.PromoteBatch, await DueCountAsync());
        // Still promoting: the Dispatcher is told to claim again at once.
        Assert.True(await _queue.NextDueAtAsync() <= promoteAt);
        Assert.Empty(await _queue.ClaimDueAsync(promoteAt, 100, Lease));
        Assert.Equal(2 * DeliveryQueue.PromoteBatch, await DueCountAsync());
        Assert.Empty(await _queue.ClaimDueAsync(promoteAt, 100, Lease));
        Assert.Equal(count, await DueCountAsync());
        await AssertNoLaterBucketsAsync();

        var claimed = new List<QueuedDelivery>();
        while (await _queue.ClaimDueAsync(dueAt + TimeSpan.FromMinutes(1), 100, Lease) is { Count: > 0 } batch) claimed.AddRange(batch);
        Assert.Equal(ids.OrderBy(d => d.Id), claimed.OrderBy(d => d.Id));
    }

    [Fact]
    public async Task The_later_count_is_what_waits_in_buckets_and_drops_as_buckets_are_promoted()
    {
        var inHalfAnHour = Now + TimeSpan.FromMinutes(30);
        await _queue.ScheduleAsync(Enumerable.Range(0, DeliveryQueue.PromoteBatch + 10).Select(_ => (NewDelivery(), inHalfAnHour)).ToList());
        await _queue.ScheduleAsync(NewDelivery(), Now + TimeSpan.FromHours(3));
        var near = NewDelivery();
        await _queue.ScheduleAsync(near, Now + TimeSpan.FromSeconds(30)); // within the near horizon: the due set, not a bucket

        Assert.Equal(DeliveryQueue.PromoteBatch + 11, await _queue.LaterCountAsync());

        // Each claim from the bucket's promotion time on moves one batch into the due set.
        Assert.Equal([near], await _queue.ClaimDueAsync(inHalfAnHour - DeliveryQueue.NearHorizon, 100, Lease));
        Assert.Equal(11, await _queue.LaterCountAsync());
        Assert.Empty(await _queue.ClaimDueAsync(inHalfAnHour - DeliveryQueue.NearHorizon, 100, Lease));
        Assert.Equal(1, await _queue.LaterCountAsync());
        Assert.Equal(DeliveryQueue.PromoteBatch + 10, await DueCountAsync());
    }

    [Fact]
    public async Task A_requeue_schedules_every_delivery_but_those_in_flight_and_answers_those()
    {
        var (inFlight, dueLater, unscheduled) = (NewDelivery(), NewDelivery(), NewDelivery());
        await _queue.ScheduleAsync(inFlight, Now);
        Assert.Equal([inFlight], await _queue.ClaimDueAsync(Now, 10, Lease));
        await _queue.ScheduleAsync(dueLater, Now + TimeSpan.FromMinutes(1));

        Assert.Equal([inFlight], await _queue.ScheduleUnlessInFlightAsync([inFlight, dueLater, unscheduled], Now));

        Assert.Null(await ScoreAsync(inFlight));
        Assert.Equal(1, await InFlightCountAsync());
        Assert.Equal(Now.ToUnixTimeMilliseconds(), await ScoreAsync(dueLater));
        Assert.Equal(Now.ToUnixTimeMilliseconds(), await ScoreAsync(unscheduled));
        // The in-flight one is never claimed a second time while its attempt runs.
        Assert.Equal(new[] { dueLater, unscheduled }.OrderBy(d => d.Id), (await _queue.ClaimDueAsync(Now, 10, Lease)).OrderBy(d => d.Id));
    }

    [Fact]
    public async Task A_claim_answers_when_the_next_claim_is_due_as_the_schedule_has_it()
    {
        var (now, soon, inAnHour) = (NewDelivery(), NewDelivery(), NewDelivery());
        await _queue.ScheduleAsync([(now, Now), (soon, Now + TimeSpan.FromSeconds(5)), (inAnHour, Now + TimeSpan.FromHours(1))]);

        var claim = await _queue.ClaimAsync(Now, 10, Lease);
        Assert.Equal([now], claim.Deliveries);
        Assert.Equal(Now + TimeSpan.FromSeconds(5), claim.NextDueAt);
        Assert.Equal(await _queue.NextDueAtAsync(), claim.NextDueAt);

        // Only the later bucket left: next is when it is to be promoted.
        claim = await _queue.ClaimAsync(Now + TimeSpan.FromSeconds(5), 10, Lease);
        Assert.Equal([soon], claim.Deliveries);
        Assert.Equal(Now + TimeSpan.FromHours(1) - DeliveryQueue.NearHorizon, claim.NextDueAt);

        claim = await _queue.ClaimAsync(Now + TimeSpan.FromHours(1), 10, Lease);
        Assert.Equal([inAnHour], claim.Deliveries);
        Assert.Null(claim.NextDueAt);
    }

    [Fact]
    public async Task A_publish_scheduling_a_delivery_the_reconciler_restored_and_a_worker_claimed_does_not_schedule_it_again()
    {
        // The publish committed; before its schedule reached Redis, a sweep restored the delivery from Postgres and a
        // Dispatcher claimed it. The publish's schedule must not put it in the due set, where a second Dispatcher would
        // claim and send it while the first attempt runs.
        var delivery = NewDelivery();
        Assert.Equal(1, await _queue.RestoreAsync([(delivery, Now)]));
        Assert.Equal([delivery], await _queue.ClaimDueAsync(Now, 10, Lease));

        await _queue.ScheduleAsync(delivery, Now);

        Assert.Null(await ScoreAsync(delivery));
        Assert.Empty(await _queue.ClaimDueAsync(Now, 10, Lease));
        Assert.Equal(1, await InFlightCountAsync());
    }

    private async Task<double?> ScoreAsync(QueuedDelivery delivery) => await Db.SortedSetScoreAsync(_keys.Due, delivery.ToMember());

    private async Task AssertNoLaterBucketsAsync()
    {
        Assert.Equal(0, await Db.SortedSetLengthAsync(_keys.Later));
        Assert.False(await Db.KeyExistsAsync(_keys.Promoting));
        Assert.Empty(await KeysAsync(_keys.LaterBucketPrefix + "*"));
    }

    /// <summary>A delivery of a webhook and tenant of its own, so the in-flight caps never hold it here (they have tests
    /// of their own, <see cref="InFlightCapsTests"/>).</summary>
    private static QueuedDelivery NewDelivery() => new(Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());

    private Task<long> DueCountAsync() => Db.SortedSetLengthAsync(_keys.Due);

    private Task<long> InFlightCountAsync() => Db.SortedSetLengthAsync(_keys.InFlight);

    // On a cluster KEYS answers for one node only: ask every primary (the tag puts them all on one).
    private async Task<List<RedisKey>> KeysAsync(string pattern)
    {
        var keys = new List<RedisKey>();
        foreach (var server in _redis!.GetServers().Where(s => !s.IsReplica))
            keys.AddRange(await server.KeysAsync(pattern: pattern).ToListAsync(TestContext.Current.CancellationToken));
        return keys;
    }
}
