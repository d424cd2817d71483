using StackExchange.Redis;
using Webhooks.Core.Queue;

namespace Webhooks.Tests.Queue;

/// <summary>The wake channel's message, which Apis and Dispatchers of two versions read during a rolling upgrade.</summary>
public sealed class WakeMessageTests
{
    [Fact]
    public void The_ids_of_a_small_schedule_follow_the_due_time_and_read_back()
    {
        Guid[] ids = [Guid.NewGuid(), Guid.NewGuid()];

        var message = WakeMessage.Format(1_764_540_000_123, ids);

        Assert.StartsWith("1764540000123 ", (string)message!);
        Assert.Equal(ids, WakeMessage.Ids(message));
    }

    [Fact]
    public void A_message_without_ids_as_every_Api_sends_it_for_a_grant_or_before_the_prefetch_carries_none()
    {
        Assert.Equal("1764540000123", (string)WakeMessage.Format(1_764_540_000_123, [])!);
        Assert.Empty(WakeMessage.Ids(1_764_540_000_123L));
        Assert.Empty(WakeMessage.Ids(RedisValue.Null));
    }

    [Fact]
    public void A_big_fan_out_sends_the_due_time_alone()
    {
        var ids = Enumerable.Range(0, WakeMessage.MaxIds + 1).Select(_ => Guid.NewGuid()).ToArray();

        Assert.Equal("42", (string)WakeMessage.Format(42, ids)!);
        Assert.Equal(WakeMessage.MaxIds, WakeMessage.Ids(WakeMessage.Format(42, ids[..WakeMessage.MaxIds])).Length);
    }

    [Theory]
    [InlineData("42 not-an-id")]
    [InlineData("42 0123456789abcdef0123456789abcdefX0123456789abcdef0123456789abcdef")]
    [InlineData("42 0123456789abcdef0123456789abcde")]
    [InlineData("42 ")]
    public void A_message_not_read_as_expected_carries_no_ids(string message) => Assert.Empty(WakeMessage.Ids(message));
}
