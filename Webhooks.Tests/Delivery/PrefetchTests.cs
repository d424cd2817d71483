using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Deliveries;
using Webhooks.Core.Queue;
using Webhooks.Dispatcher.Claiming;

namespace Webhooks.Tests.Delivery;

/// <summary>What a read started before the claim may stand for once the claim has answered (see <see cref="Prefetch"/>).</summary>
public sealed class PrefetchTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Claimed_deliveries_still_as_published_are_taken_from_it()
    {
        var (fresh, other) = (Queued(), Queued());
        var prefetch = Started([fresh, other], Row(fresh), Row(other));
        _time.Advance(TimeSpan.FromMilliseconds(2));

        var usable = await prefetch.UsableAsync([fresh], _time.GetTimestamp());

        // The other was not claimed here (another Dispatcher's): its row is not this claim's to send.
        Assert.Equal([fresh.Id], usable.Keys);
    }

    [Theory]
    [InlineData(DeliveryStatus.Retrying, 1)]
    [InlineData(DeliveryStatus.Success, 1)]
    [InlineData(DeliveryStatus.Failed, 0)]
    [InlineData(DeliveryStatus.Pending, 1)]
    public async Task A_row_no_longer_as_published_is_read_again_after_the_claim(DeliveryStatus status, int attempts)
    {
        var delivery = Queued();
        var prefetch = Started([delivery], Row(delivery) with { Status = status, AttemptCount = attempts });

        Assert.Empty(await prefetch.UsableAsync([delivery], _time.GetTimestamp()));
    }

    [Fact]
    public async Task A_read_older_than_the_bound_when_the_claim_answered_is_not_used()
    {
        var delivery = Queued();
        var prefetch = Started([delivery], Row(delivery));
        _time.Advance(Prefetch.MaxAge + TimeSpan.FromMilliseconds(1));

        Assert.Empty(await prefetch.UsableAsync([delivery], _time.GetTimestamp()));
    }

    [Fact]
    public async Task A_failed_read_leaves_every_claimed_delivery_to_the_read_after_the_claim()
    {
        var delivery = Queued();
        var prefetch = new Prefetch([delivery.Id], Task.FromException<Dictionary<Guid, DeliveryWork>>(new TimeoutException()),
            _time.GetTimestamp(), _time);

        Assert.Empty(await prefetch.UsableAsync([delivery], _time.GetTimestamp()));
    }

    [Fact]
    public async Task A_delivery_the_read_did_not_find_is_left_to_the_read_after_the_claim()
    {
        var (found, missing) = (Queued(), Queued());
        var prefetch = Started([found, missing], Row(found));

        // Missing from the prefetch is not "removed by retention": only the read after the claim may say that.
        Assert.Equal([found.Id], (await prefetch.UsableAsync([found, missing], _time.GetTimestamp())).Keys);
    }

    private Prefetch Started(QueuedDelivery[] named, params DeliveryWork[] rows) =>
        new(named.Select(d => d.Id).ToArray(), Task.FromResult(rows.ToDictionary(r => r.Id)), _time.GetTimestamp(), _time);

    private static QueuedDelivery Queued() => new(Guid.CreateVersion7(), Guid.NewGuid(), Guid.NewGuid());

    private DeliveryWork Row(QueuedDelivery delivery) => new(delivery.Id, delivery.TenantId, delivery.WebhookId, DeliveryStatus.Pending,
        AttemptCount: 0, NextAttemptAt: _time.GetUtcNow(), EventId: Guid.CreateVersion7(), EventType: "sale.created", Payload: "{}",
        EventCreatedAt: _time.GetUtcNow(), TraceParent: null, Url: "https://example.com/hooks", Active: true, DisabledAt: null,
        DeletedAt: null, SecretCiphertext: [1, 2, 3], PreviousSecretCiphertext: null, PreviousSecretExpiresAt: null);
}
