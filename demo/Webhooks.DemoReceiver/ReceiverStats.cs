using System.Collections.Concurrent;

namespace Webhooks.DemoReceiver;

/// <summary>What the receiver did, per endpoint: <c>GET /stats</c> shows it (and the whole-app demo test reads it).</summary>
internal sealed class ReceiverStats
{
    private readonly ConcurrentDictionary<string, Counters> _endpoints = new(StringComparer.Ordinal);

    public Counters For(string endpoint) => _endpoints.GetOrAdd(endpoint, _ => new Counters());

    public Dictionary<string, EndpointStats> Snapshot() =>
        _endpoints.ToDictionary(e => e.Key, e => new EndpointStats(e.Value.Accepted, e.Value.Duplicates, e.Value.FailedOnPurpose, e.Value.Rejected));

    internal sealed class Counters
    {
        public int Accepted;
        public int Duplicates;
        public int FailedOnPurpose;
        public int Rejected;
    }
}

/// <param name="Accepted">Verified and answered 2xx.</param>
/// <param name="Duplicates">Verified, but a <c>webhook-id</c> already accepted: answered 2xx, not handled again.</param>
/// <param name="FailedOnPurpose">Verified, then failed by <see cref="FailurePolicy"/>.</param>
/// <param name="Rejected">A signature or timestamp that did not check out: answered 401.</param>
internal sealed record EndpointStats(int Accepted, int Duplicates, int FailedOnPurpose, int Rejected);
