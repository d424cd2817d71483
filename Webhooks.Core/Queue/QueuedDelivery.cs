using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// A delivery as the Redis schedule holds it: its id, and the webhook and tenant whose in-flight caps it counts
/// against, so that the claim script applies the caps before anything is read from Postgres. As a member of the due and
/// in-flight sets it is the three ids, raw, in that order: 48 bytes (<see cref="ToMember"/>). A delivery's webhook and
/// tenant never change, so a delivery always has the same member, whoever schedules it.
/// </summary>
public readonly record struct QueuedDelivery(Guid Id, Guid WebhookId, Guid TenantId)
{
    public const int MemberBytes = 48;

    public byte[] ToMember()
    {
        var member = new byte[MemberBytes];
        WriteTo(member);
        return member;
    }

    public void WriteTo(Span<byte> destination)
    {
        Id.TryWriteBytes(destination[..16]);
        WebhookId.TryWriteBytes(destination[16..32]);
        TenantId.TryWriteBytes(destination[32..MemberBytes]);
    }

    public static QueuedDelivery FromMember(ReadOnlySpan<byte> member) =>
        member.Length == MemberBytes
            ? new(new Guid(member[..16]), new Guid(member[16..32]), new Guid(member[32..]))
            : throw new ArgumentException($"A schedule member is {MemberBytes} bytes, not {member.Length}.", nameof(member));

    public static QueuedDelivery FromMember(RedisValue member) => FromMember(((byte[])member!).AsSpan());
}
