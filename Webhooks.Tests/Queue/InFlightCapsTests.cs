using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Webhooks.Core.Queue;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Queue;

/// <summary>
/// The in-flight caps against real Redis, as the Dispatcher drives them: claim, admit (a slot, or held), then ack or
/// reschedule, which gives a freed slot to the oldest held delivery of the webhook or tenant. Two
/// <see cref="DeliveryQueue"/>s on one schedule stand for two Dispatchers. Every "now" is explicit.
/// </summary>
public sealed class InFlightCapsTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly QueueKeys _keys = new($"caps-test-{Guid.NewGuid():N}");
    private ConnectionMultiplexer? _redis;
    private IDatabase Db => _redis!.GetDatabase();

    private readonly Guid _tenantA = Guid.CreateVersion7(), _tenantB = Guid.CreateVersion7();
    private readonly Guid _webhookA1 = Guid.CreateVersion7(), _webhookA2 = Guid.CreateVersion7(), _webhookB = Guid.CreateVersion7();

    public async ValueTask InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.RedisConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_redis is null) return;
        await DeleteAllKeysAsync();
        await _redis.DisposeAsync();
    }

    private async Task DeleteAllKeysAsync()
    {
        await foreach (var key in _redis!.GetServers()[0].KeysAsync(pattern: _keys.Tag + "*")) await Db.KeyDeleteAsync(key);
    }

    private DeliveryQueue Queue(int perWebhook, int perTenant) => new(_redis!, _keys, _time, new InFlightCaps(perWebhook, perTenant));

    private sealed record Item(Guid Id, Guid WebhookId, Guid TenantId, DateTimeOffset DueAt);

    /// <summary>Schedules deliveries of one webhook, due 1 ms apart in the order given.</summary>
    private async Task<List<Item>> ScheduleAsync(DeliveryQueue queue, Guid webhookId, Guid tenantId, int count, int fromMs = 0)
    {
        var items = Enumerable.Range(fromMs, count)
            .Select(i => new Item(Guid.CreateVersion7(), webhookId, tenantId, Now - TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(i))).ToList();
        await queue.ScheduleAsync(items.Select(i => (i.Id, i.DueAt)).ToList());
        return items;
    }

    /// <summary>What a Dispatcher does with a claim: the ids claimed are looked up (here: in <paramref name="known"/>, as
    /// Postgres would tell them), then admitted. Answers the admitted ones, in claim order.</summary>
    private static async Task<List<Guid>> ClaimAndAdmitAsync(DeliveryQueue queue, IEnumerable<Item> known, int max = 100,
        DateTimeOffset? at = null)
    {
        var byId = known.ToDictionary(i => i.Id);
        var claimed = await queue.ClaimDueAsync(at ?? Now, max, Lease);
        var admitted = await queue.AdmitAsync(claimed.Select(id => byId[id]).Select(i => (i.Id, i.WebhookId, i.TenantId, i.DueAt)).ToList());
        return claimed.Where(admitted.Contains).ToList();
    }

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

        var admitted = await ClaimAndAdmitAsync(queue, items);

        Assert.Equal([items[0].Id, items[1].Id], admitted);
        Assert.Equal(4, await HeldCountAsync());
        Assert.Equal(2, await Db.SortedSetLengthAsync(_keys.InFlight)); // the held ones hold no lease, so no send slot
        Assert.Equal(0, await Db.SortedSetLengthAsync(_keys.Due));      // and no claim reads them again
        Assert.Empty(await ClaimAndAdmitAsync(queue, items));
        Assert.Equal(2, await BusyAsync('w', _webhookA1));

        // Each freed slot goes to the oldest held; a reschedule frees it as an ack does.
        var sent = new List<Guid>(admitted);
        await queue.AckAsync(admitted[0]);
        await queue.RescheduleAsync(admitted[1], Now + TimeSpan.FromHours(1));
        for (var round = 0; round < 5 && sent.Count < items.Count; round++)
        {
            var next = await ClaimAndAdmitAsync(queue, items);
            Assert.InRange(next.Count, 1, 2);
            sent.AddRange(next);
            foreach (var id in next) await queue.AckAsync(id);
        }
        Assert.Equal(items.Select(i => i.Id), sent);
        Assert.Equal(0, await HeldCountAsync());
        Assert.Equal(0, await Db.HashLengthAsync(_keys.Busy));
        Assert.Equal(0, await Db.HashLengthAsync(_keys.HeldBy));
        Assert.Equal(0, await Db.HashLengthAsync(_keys.Slots));
    }

    [Fact]
    public async Task Another_tenants_due_deliveries_are_claimed_and_sent_while_one_webhook_waits_at_its_cap()
    {
        var queue = Queue(perWebhook: 1, perTenant: 1);
        var busy = await ScheduleAsync(queue, _webhookA1, _tenantA, 50);
        Assert.Single(await ClaimAndAdmitAsync(queue, busy, max: 10));

        var quiet = await ScheduleAsync(queue, _webhookB, _tenantB, 1, fromMs: 100);
        var all = busy.Concat(quiet).ToList();
        // The capped webhook's backlog is looked at once each and set aside: the claims reach the quiet one, each claim
        // costing what it claims, never the whole backlog again.
        var admitted = new List<Guid>();
        for (var claim = 0; claim < 10 && admitted.Count == 0; claim++) admitted.AddRange(await ClaimAndAdmitAsync(queue, all, max: 10));

        Assert.Equal([quiet[0].Id], admitted);
        Assert.Equal(49, await HeldCountAsync());
        Assert.Equal(1, await BusyAsync('t', _tenantB));
    }

    [Fact]
    public async Task The_tenant_cap_spans_its_webhooks_and_a_freed_slot_goes_to_the_oldest_of_the_tenant()
    {
        var queue = Queue(perWebhook: 10, perTenant: 2);
        var first = await ScheduleAsync(queue, _webhookA1, _tenantA, 2);
        var second = await ScheduleAsync(queue, _webhookA2, _tenantA, 2, fromMs: 10);
        var all = first.Concat(second).ToList();

        var admitted = await ClaimAndAdmitAsync(queue, all);

        Assert.Equal(first.Select(i => i.Id), admitted);
        Assert.Equal(2, await HeldCountAsync());
        Assert.Equal(2, await BusyAsync('t', _tenantA));

        await queue.AckAsync(first[0].Id);
        Assert.Equal([second[0].Id], await ClaimAndAdmitAsync(queue, all));
        Assert.Equal(1, await BusyAsync('w', _webhookA2));
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
    }

    [Fact]
    public async Task Two_Dispatchers_claiming_at_once_never_hold_more_slots_than_the_cap_together()
    {
        var (one, two) = (Queue(perWebhook: 3, perTenant: 100), Queue(perWebhook: 3, perTenant: 100));
        var items = await ScheduleAsync(one, _webhookA1, _tenantA, 40);
        var inFlight = new HashSet<Guid>();
        var sent = new List<Guid>();

        // Rounds of both claiming at once, then acking half of what is in flight, until everything was sent.
        for (var round = 0; round < 200 && sent.Count < items.Count; round++)
        {
            var claims = await Task.WhenAll(ClaimAndAdmitAsync(one, items, max: 5), ClaimAndAdmitAsync(two, items, max: 5));
            foreach (var id in claims.SelectMany(c => c))
            {
                Assert.True(inFlight.Add(id), "a delivery admitted twice");
                sent.Add(id);
            }
            Assert.InRange(inFlight.Count, 0, 3);
            Assert.Equal(inFlight.Count, await BusyAsync('w', _webhookA1));
            foreach (var id in inFlight.Take((inFlight.Count + 1) / 2).ToList())
            {
                await (round % 2 == 0 ? one : two).AckAsync(id);
                inFlight.Remove(id);
            }
        }

        Assert.Equal(items.Select(i => i.Id).Order(), sent.Order());
    }

    [Fact]
    public async Task A_reaped_lease_keeps_its_slot_and_is_sent_again_before_the_held_ones()
    {
        var (one, two) = (Queue(perWebhook: 1, perTenant: 100), Queue(perWebhook: 1, perTenant: 100));
        var items = await ScheduleAsync(one, _webhookA1, _tenantA, 3);
        Assert.Equal([items[0].Id], await ClaimAndAdmitAsync(one, items));

        // The first Dispatcher dies; its lease runs out and the reaper puts the delivery back in due.
        var later = Now + Lease + TimeSpan.FromSeconds(1);
        Assert.Equal(1, await two.ReapExpiredLeasesAsync(later));

        Assert.Equal([items[0].Id], await ClaimAndAdmitAsync(two, items, at: later));
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
        Assert.Equal(2, await HeldCountAsync());
        await two.AckAsync(items[0].Id);
        Assert.Equal([items[1].Id], await ClaimAndAdmitAsync(two, items, at: later));
    }

    [Fact]
    public async Task The_reconciler_leaves_a_held_delivery_alone_and_restores_everything_after_a_flush()
    {
        var queue = Queue(perWebhook: 1, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 3);
        await ClaimAndAdmitAsync(queue, items);
        var live = items.Select(i => (i.Id, i.DueAt)).ToList();

        // Postgres says all three are live; Redis has one in flight and two held: nothing is missing.
        Assert.Equal(0, await queue.RestoreAsync(live));
        Assert.Equal(0, await Db.SortedSetLengthAsync(_keys.Due));

        // A FLUSHALL takes the held lines, the slots and the counts with the rest.
        await DeleteAllKeysAsync();

        Assert.Equal(3, await queue.RestoreAsync(live));
        Assert.Equal([items[0].Id], await ClaimAndAdmitAsync(queue, items));
        Assert.Equal(2, await HeldCountAsync());
    }

    [Fact]
    public async Task A_held_delivery_scheduled_again_is_held_once_not_twice()
    {
        var queue = Queue(perWebhook: 1, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 2);
        await ClaimAndAdmitAsync(queue, items);

        // A manual retry puts the held delivery in due again.
        await queue.ScheduleAsync(items[1].Id, Now - TimeSpan.FromSeconds(1));
        Assert.Empty(await ClaimAndAdmitAsync(queue, items));

        Assert.Equal(1, await HeldCountAsync());
        Assert.Equal(1, await Db.HashLengthAsync(_keys.HeldBy));
    }

    [Fact]
    public async Task Healing_drops_a_lost_slot_and_gives_its_room_to_the_held()
    {
        var queue = Queue(perWebhook: 1, perTenant: 100);
        var items = await ScheduleAsync(queue, _webhookA1, _tenantA, 2);
        await ClaimAndAdmitAsync(queue, items);
        // A fault lost the in-flight entry without its slot being freed.
        await Db.SortedSetRemoveAsync(_keys.InFlight, DeliveryQueue.Member(items[0].Id));

        Assert.Equal((1, 1), await queue.HealCapsAsync());

        Assert.Equal([items[1].Id], await ClaimAndAdmitAsync(queue, items));
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
        Assert.Equal((0, 0), await queue.HealCapsAsync());
        Assert.Equal(1, await BusyAsync('w', _webhookA1));
    }
}
