using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Webhooks.Core.Queue;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Queue;

/// <summary>
/// The in-flight caps against real Redis, as the Dispatcher drives them: the claim admits (a slot) or holds each due
/// delivery by the webhook and tenant its member names, before anything would be read from Postgres; ack or reschedule
/// gives a freed slot to the oldest held delivery of the webhook or tenant. Two <see cref="DeliveryQueue"/>s on one
/// schedule stand for two Dispatchers. Every "now" is explicit. Each test runs on the standalone Redis and on the
/// 3-master cluster (every key a script touches declared, all in one slot).
/// </summary>
public abstract class InFlightCapsTests(InfrastructureFixture infrastructure, RedisBackend backend) : IAsyncLifetime
{
    public sealed class Standalone(InfrastructureFixture infrastructure) : InFlightCapsTests(infrastructure, RedisBackend.Standalone);

    public sealed class Cluster(InfrastructureFixture infrastructure) : InFlightCapsTests(infrastructure, RedisBackend.Cluster);

    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly QueueKeys _keys = new($"caps-test-{Guid.NewGuid():N}");
    private ConnectionMultiplexer? _redis;
    private IDatabase Db => _redis!.GetDatabase();

    private readonly Guid _tenantA = Guid.CreateVersion7(), _tenantB = Guid.CreateVersion7();
    private readonly Guid _webhookA1 = Guid.CreateVersion7(), _webhookA2 = Guid.CreateVersion7(), _webhookB = Guid.CreateVersion7();

    public async ValueTask InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.RedisConnectionStringOf(backend));

    public async ValueTask DisposeAsync()
    {
        if (_redis is null) return;
        await DeleteAllKeysAsync();
        await _redis.DisposeAsync();
    }

    /// <summary>As a FLUSHALL would, for this test's schedule alone. On a cluster KEYS answers for one node only: every
    /// primary is asked (the tag puts them all on one).</summary>
    private async Task DeleteAllKeysAsync()
    {
        foreach (var server in _redis!.GetServers().Where(s => !s.IsReplica))
            await foreach (var key in server.KeysAsync(pattern: _keys.Tag + "*")) await Db.KeyDeleteAsync(key);
    }

    private DeliveryQueue Queue(int perWebhook, int perTenant) => new(_redis!, _keys, _time, new InFlightCaps(perWebhook, perTenant));

    private sealed record Item(QueuedDelivery Delivery, DateTimeOffset DueAt);

    /// <summary>Schedules deliveries of one webhook, due 1 ms apart in the order given.</summary>
    private async Task<List<QueuedDelivery>> ScheduleAsync(DeliveryQueue queue, Guid webhookId, Guid tenantId, int count, int fromMs = 0)
    {
        var items = Enumerable.Range(fromMs, count)
            .Select(i => new Item(new QueuedDelivery(Guid.CreateVersion7(), webhookId, tenantId),
                Now - TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(i))).ToList();
        await queue.ScheduleAsync(items.Select(i => (i.Delivery, i.DueAt)).ToList());
        return items.ConvertAll(i => i.Delivery);
    }

    /// <summary>What a Dispatcher claims: only deliveries the caps admit, each holding a slot; the rest are held.</summary>
    private static async Task<List<QueuedDelivery>> ClaimAsync(DeliveryQueue queue, int max = 100, DateTimeOffset? at = null) =>
        (await queue.ClaimDueAsync(at ?? Now, max, Lease)).ToList();

    private Task<long> HeldCountAsync() => Db.SortedSetLengthAsync(_keys.Held);

    private async Task<long> BusyAsync(char kind, Guid id)
    {
        byte[] field = [(byte)kind, .. id.ToByteArray()];
        return (long?)await Db.HashGetAsync(_keys.Busy, field) ?? 0;
    }

    [Fact]
    public async Task Over_the_webhook_cap_deliveries_wait_out_of_flight_and_are_sent_in_due_order_as_slots_free()
    {
        var queue = Queue(perWebhook: 2, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 6);

        var admitted = await ClaimAsync(queue);

        // The claim hands over only what it admits: the held ones are never the Dispatcher's, so never read from Postgres.
        Assert.Equal([items[0], items[1]], admitted);
        Assert.Equal(4, await HeldCountAsync());
        Assert.Equal(4, await queue.HeldCountAsync());
        Assert.Equal(2, await Db.SortedSetLengthAsync(_keys.InFlight)); // the held ones hold no lease, so no send slot
        Assert.Equal(0, await Db.SortedSetLengthAsync(_keys.Due));      // and no claim looks at them again
        Assert.Empty(await ClaimAsync(queue));
        Assert.Equal(2, await BusyAsync('w', _webhookA1));
        Assert.Equal(2, await BusyAsync('t', _tenantA));

        // Each freed slot goes to the oldest held; a reschedule frees it as an ack does.
        var sent = new List<QueuedDelivery>(admitted);
        await queue.AckAsync(admitted[0]);
        await queue.RescheduleAsync(admitted[1], Now + TimeSpan.FromHours(1));
        for (var round = 0; round < 5 && sent.Count < items.Count; round++)
        {
            var next = await ClaimAsync(queue);
            Assert.InRange(next.Count, 1, 2);
            sent.AddRange(next);
            foreach (var delivery in next) await queue.AckAsync(delivery);
        }
        Assert.Equal(items, sent);
        Assert.Equal(0, await HeldCountAsync());
        Assert.Equal(0, await Db.HashLengthAsync(_keys.Busy));
        Assert.Equal(0, await Db.HashLengthAsync(_keys.HeldBy));
        Assert.Equal(0, await Db.SetLengthAsync(_keys.Slots));
    }

    [Fact]
    public async Task One_ack_of_many_frees_each_slot_it_holds_once_and_grants_them_to_the_oldest_held()
    {
        var queue = Queue(perWebhook: 3, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 8);
        var admitted = await ClaimAsync(queue);
        Assert.Equal(items[..3], admitted);

        // A Dispatcher acks what finished together in one call; a member no longer in flight (acked already, or reaped
        // and claimed elsewhere) frees nothing, so the cap is never overrun.
        await queue.AckAsync(admitted[0]);
        await queue.AckAsync([admitted[0], admitted[1], admitted[2]]);

        Assert.Equal(items[3..6], await ClaimAsync(queue));
        Assert.Equal(3, await BusyAsync('w', _webhookA1));
        Assert.Equal(2, await HeldCountAsync());
        Assert.Empty(await ClaimAsync(queue));
    }

    [Fact]
    public async Task Another_tenants_due_deliveries_are_claimed_and_sent_while_one_webhook_waits_at_its_cap()
    {
        var queue = Queue(perWebhook: 1, perTenant: 1);
        var busy = await ScheduleAsync(queue, _webhookA1, _tenantA, 50);
        Assert.Single(await ClaimAsync(queue, max: 10));

        var quiet = await ScheduleAsync(queue, _webhookB, _tenantB, 1, fromMs: 100);
        // The capped webhook's backlog is looked at once each and set aside: the claims reach the quiet one, each claim
        // costing what it claims and what it sets aside, never the whole backlog again.
        var admitted = new List<QueuedDelivery>();
        for (var claim = 0; claim < 10 && admitted.Count == 0; claim++) admitted.AddRange(await ClaimAsync(queue, max: 10));

        Assert.Equal([quiet[0]], admitted);
        Assert.Equal(49, await HeldCountAsync());
        Assert.Equal(1, await BusyAsync('t', _tenantB));
        Assert.Equal(busy.Count - 1, await Db.HashLengthAsync(_keys.HeldBy));
    }

    [Fact]
    public async Task A_claim_sets_aside_a_bounded_share_of_a_capped_backlog_and_looks_at_each_delivery_once()
    {
        var queue = Queue(perWebhook: 1, perTenant: 100);
        var backlog = await ScheduleAsync(queue, _webhookA1, _tenantA, DeliveryQueue.HoldBatch + 60);
        var quiet = await ScheduleAsync(queue, _webhookB, _tenantB, 1, fromMs: DeliveryQueue.HoldBatch + 100);

        // The first claim takes the webhook's one slot and sets aside about a batch of the rest; the quiet delivery, due
        // last, waits behind them in the due set, and the Dispatcher is told to claim again at once.
        Assert.Equal([backlog[0]], await ClaimAsync(queue, max: 10));
        var held = await HeldCountAsync();
        Assert.InRange(held, DeliveryQueue.HoldBatch, DeliveryQueue.HoldBatch + 10);
        Assert.True(await queue.NextDueAtAsync() <= Now);

        // The next sets aside the rest and reaches it.
        Assert.Equal([quiet[0]], await ClaimAsync(queue, max: 10));
        Assert.Equal(backlog.Count - 1, await HeldCountAsync());
        Assert.Equal(0, await Db.SortedSetLengthAsync(_keys.Due));
        Assert.Null(await queue.NextDueAtAsync());
    }

    [Fact]
    public async Task The_tenant_cap_spans_its_webhooks_and_a_freed_slot_goes_to_the_oldest_of_the_tenant()
    {
        var queue = Queue(perWebhook: 10, perTenant: 2);
        var first = await ScheduleAsync(queue, _webhookA1, _tenantA, 2);
        var second = await ScheduleAsync(queue, _webhookA2, _tenantA, 2, fromMs: 10);

        var admitted = await ClaimAsync(queue);

        Assert.Equal(first, admitted);
        Assert.Equal(2, await HeldCountAsync());
        Assert.Equal(2, await BusyAsync('t', _tenantA));

        await queue.AckAsync(first[0]);
        Assert.Equal([second[0]], await ClaimAsync(queue));
        Assert.Equal(1, await BusyAsync('w', _webhookA2));
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
    }

    [Fact]
    public async Task Two_Dispatchers_claiming_at_once_never_hold_more_slots_than_the_cap_together()
    {
        var (one, two) = (Queue(perWebhook: 3, perTenant: 100), Queue(perWebhook: 3, perTenant: 100));
        var items = await ScheduleAsync(one, _webhookA1, _tenantA, 40);
        var inFlight = new HashSet<QueuedDelivery>();
        var sent = new List<QueuedDelivery>();

        // Rounds of both claiming at once, then acking half of what is in flight, until everything was sent.
        for (var round = 0; round < 200 && sent.Count < items.Count; round++)
        {
            var claims = await Task.WhenAll(ClaimAsync(one, max: 5), ClaimAsync(two, max: 5));
            foreach (var delivery in claims.SelectMany(c => c))
            {
                Assert.True(inFlight.Add(delivery), "a delivery admitted twice");
                sent.Add(delivery);
            }
            Assert.InRange(inFlight.Count, 0, 3);
            Assert.Equal(inFlight.Count, await BusyAsync('w', _webhookA1));
            foreach (var delivery in inFlight.Take((inFlight.Count + 1) / 2).ToList())
            {
                await (round % 2 == 0 ? one : two).AckAsync(delivery);
                inFlight.Remove(delivery);
            }
        }

        Assert.Equal(items.OrderBy(d => d.Id), sent.OrderBy(d => d.Id));
    }

    [Fact]
    public async Task A_reaped_lease_keeps_its_slot_and_is_sent_again_before_the_held_ones()
    {
        var (one, two) = (Queue(perWebhook: 1, perTenant: 100), Queue(perWebhook: 1, perTenant: 100));
        var items = await ScheduleAsync(one, _webhookA1, _tenantA, 3);
        Assert.Equal([items[0]], await ClaimAsync(one));

        // The first Dispatcher dies; its lease runs out and the reaper puts the delivery back in due.
        var later = Now + Lease + TimeSpan.FromSeconds(1);
        Assert.Equal(1, await two.ReapExpiredLeasesAsync(later));

        Assert.Equal([items[0]], await ClaimAsync(two, at: later));
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
        Assert.Equal(2, await HeldCountAsync());
        await two.AckAsync(items[0]);
        Assert.Equal([items[1]], await ClaimAsync(two, at: later));
    }

    [Fact]
    public async Task A_stale_due_entry_of_a_delivery_in_flight_is_dropped_not_claimed_or_held()
    {
        var queue = Queue(perWebhook: 1, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 1);
        Assert.Equal(items, await ClaimAsync(queue));

        // A stale, earlier score in due while its attempt runs: no second claim, no place in a line, no second slot.
        await Db.SortedSetAddAsync(_keys.Due, items[0].ToMember(), (Now - TimeSpan.FromSeconds(1)).ToUnixTimeMilliseconds());
        Assert.Empty(await ClaimAsync(queue));

        Assert.Equal(0, await Db.SortedSetLengthAsync(_keys.Due));
        Assert.Equal(0, await HeldCountAsync());
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
        await queue.AckAsync(items[0]);
        Assert.Equal(0, await BusyAsync('w', _webhookA1));
    }

    [Fact]
    public async Task The_reconciler_leaves_a_held_delivery_alone_and_restores_everything_after_a_flush()
    {
        var queue = Queue(perWebhook: 1, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 3);
        await ClaimAsync(queue);
        var live = items.Select((d, i) => (d, Now - TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(i))).ToList();

        // Postgres says all three are live; Redis has one in flight and two held: nothing is missing.
        Assert.Equal(0, await queue.RestoreAsync(live));
        Assert.Equal(0, await Db.SortedSetLengthAsync(_keys.Due));

        // A FLUSHALL takes the held lines, the slots and the counts with the rest.
        await DeleteAllKeysAsync();

        Assert.Equal(3, await queue.RestoreAsync(live));
        Assert.Equal([items[0]], await ClaimAsync(queue));
        Assert.Equal(2, await HeldCountAsync());
    }

    [Fact]
    public async Task A_held_delivery_scheduled_again_is_held_once_not_twice_and_keeps_its_place()
    {
        var queue = Queue(perWebhook: 1, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 3);
        await ClaimAsync(queue);

        // A manual retry puts the second, held, delivery in due again, at a later time than it waited with.
        await queue.ScheduleAsync(items[1], Now - TimeSpan.FromSeconds(1));
        Assert.Empty(await ClaimAsync(queue));

        Assert.Equal(2, await HeldCountAsync());
        Assert.Equal(2, await Db.HashLengthAsync(_keys.HeldBy));
        await queue.AckAsync(items[0]);
        Assert.Equal([items[1]], await ClaimAsync(queue));
    }

    [Fact]
    public async Task Healing_drops_a_lost_slot_and_gives_its_room_to_the_held()
    {
        var queue = Queue(perWebhook: 1, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 2);
        await ClaimAsync(queue);
        // A fault lost the in-flight entry without its slot being freed.
        await Db.SortedSetRemoveAsync(_keys.InFlight, items[0].ToMember());

        Assert.Equal((1, 1), await queue.HealCapsAsync());

        Assert.Equal([items[1]], await ClaimAsync(queue));
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
        Assert.Equal((0, 0), await queue.HealCapsAsync());
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
    }

    [Fact]
    public async Task Raised_caps_give_the_room_to_the_held_in_due_order_before_new_deliveries()
    {
        var items = await ScheduleAsync(Queue(perWebhook: 1, perTenant: 100), _webhookA1, _tenantA, 3);
        Assert.Equal([items[0]], await ClaimAsync(Queue(perWebhook: 1, perTenant: 100)));
        var newer = await ScheduleAsync(Queue(perWebhook: 1, perTenant: 100), _webhookA1, _tenantA, 1, fromMs: 100);

        // Every Dispatcher restarted with a cap of 3: the next claim meets the newer one while two older ones wait.
        var raised = Queue(perWebhook: 3, perTenant: 100);
        Assert.Equal([items[1], items[2]], await ClaimAsync(raised));
        Assert.Equal(1, await HeldCountAsync());
        await raised.AckAsync(items[0]);
        Assert.Equal(newer, await ClaimAsync(raised));
    }
}
