using System.Collections.Concurrent;

namespace Webhooks.Client.Receiving;

/// <summary>
/// Remembers the <c>webhook-id</c>s handled lately, in memory, so a delivery that comes again (delivery is at least
/// once) is acknowledged without being handled twice. One process only and forgotten at restart: a receiver with
/// more at stake records ids in its own database, in the same transaction as their effect.
/// </summary>
public sealed class DeliveryDeduplicator(TimeProvider? time = null, TimeSpan? window = null)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _sinceSweep;

    /// <summary>How long an id is remembered (default 1 day: the service's retries span about 5.5 hours).</summary>
    public TimeSpan Window { get; } = window ?? TimeSpan.FromDays(1);

    /// <summary>True for an id not seen in <see cref="Window"/> (handle it now); false for a repeat (acknowledge it
    /// and do nothing). Call <see cref="Forget"/> when handling fails, so the retry is handled.</summary>
    public bool TryBegin(string webhookId)
    {
        var now = _time.GetUtcNow();
        if (Interlocked.Increment(ref _sinceSweep) % 1024 == 0) Sweep(now);
        while (true)
        {
            if (_seen.TryAdd(webhookId, now)) return true;
            if (!_seen.TryGetValue(webhookId, out var at)) continue;
            if (now - at < Window) return false;
            if (_seen.TryUpdate(webhookId, now, at)) return true;
        }
    }

    public void Forget(string webhookId) => _seen.TryRemove(webhookId, out _);

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (id, at) in _seen)
        {
            if (now - at >= Window) _seen.TryRemove(new KeyValuePair<string, DateTimeOffset>(id, at));
        }
    }
}
