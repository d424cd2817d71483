using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Webhooks.Core.Queue;

/// <summary>
/// The message published on the wake channel (<see cref="QueueKeys.Wake"/>): the earliest due time just scheduled
/// (unix ms, decimal), then, from a schedule of at most <see cref="MaxIds"/> deliveries due now, their ids (a space and
/// 32 hex digits each), so that an idle Dispatcher can start reading them from Postgres while it claims them.
/// </summary>
/// <remarks>Readable across a rolling upgrade both ways: a Dispatcher from before the ids never reads the message (any
/// message wakes it), and a message from an Api before them is the bare due time, which carries no ids here.</remarks>
public static class WakeMessage
{
    /// <summary>Ids a message carries at most: a publish to a few webhooks. A bigger fan-out sends none, as its
    /// deliveries fill more than one claim and a read of each claim costs no more than the prefetch would.</summary>
    public const int MaxIds = 16;

    private const int IdChars = 32;

    public static RedisValue Format(long earliestMs, IReadOnlyCollection<Guid> ids)
    {
        if (ids.Count is 0 or > MaxIds) return earliestMs;
        var text = new StringBuilder(20 + ids.Count * (IdChars + 1));
        text.Append(earliestMs.ToString(CultureInfo.InvariantCulture));
        foreach (var id in ids) text.Append(' ').Append(id.ToString("N"));
        return text.ToString();
    }

    /// <summary>The delivery ids a message carries: none from a message without them or one not read as expected.</summary>
    public static Guid[] Ids(RedisValue message)
    {
        if (message.IsNullOrEmpty) return [];
        var text = ((string)message!).AsSpan();
        var first = text.IndexOf(' ');
        if (first < 0) return [];
        var rest = text[(first + 1)..];
        if ((rest.Length + 1) % (IdChars + 1) != 0) return [];
        var ids = new Guid[(rest.Length + 1) / (IdChars + 1)];
        if (ids.Length > MaxIds) return [];
        for (var i = 0; i < ids.Length; i++)
        {
            var at = i * (IdChars + 1);
            if ((i > 0 && rest[at - 1] != ' ') || !Guid.TryParseExact(rest.Slice(at, IdChars), "N", out ids[i])) return [];
        }
        return ids;
    }
}
