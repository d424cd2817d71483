using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Webhooks.Api.Limits;

/// <summary>
/// <c>Webhooks:Limits:PublishPerSecondPerTenant</c>: a publish takes one token per event from its tenant's bucket
/// (<see cref="TenantTokenBuckets"/>, in Redis, shared by every Api process). To keep that Redis round trip off most
/// publishes, a process takes a few tokens more than it needs (a twentieth of the rate: 50 with the default limit) and
/// spends them on the tenant's next publishes here, without asking Redis, for up to <see cref="LeaseLifetime"/>.
/// </summary>
/// <remarks>
/// <para>Every accepted event still took its token from the shared bucket, only up to a second early, so the limit
/// holds across processes as before; a process holds at most a twentieth of a second's worth of a tenant's tokens.
/// Tokens not spent within <see cref="LeaseLifetime"/> are dropped (a tenant publishing that slowly is nowhere near its
/// limit). Near the limit the bucket cannot spare the extra, and the publish asks for exactly its own tokens, as it
/// would without leases. A process keeps one small entry per tenant that has published through it, as the buckets'
/// limiter keeps one per tenant.</para>
/// <para>Why: the bucket's round trip was 0.59 ms p50 of a single publish at 20 events/s on the 2-core box (the
/// latency breakdown, bench/README.md "Fifth round"), a sixth of the publish's round trip.</para>
/// </remarks>
internal sealed class PublishRateLimit(ITenantTokenBuckets buckets, IOptions<LimitsOptions> limits, TimeProvider time)
{
    /// <summary>How long spare tokens may be spent: the bucket's own horizon, a second's worth.</summary>
    internal static readonly TimeSpan LeaseLifetime = TimeSpan.FromSeconds(1);

    private readonly int _rate = limits.Value.PublishPerSecondPerTenant;
    private readonly int _spare = limits.Value.PublishPerSecondPerTenant / 20;
    private readonly ConcurrentDictionary<Guid, Lease> _leases = new();

    /// <summary>Takes one token per event: null when the tenant may publish them now, else how long to wait.</summary>
    public async ValueTask<TimeSpan?> TryAcquireAsync(Guid tenantId, int events, CancellationToken ct)
    {
        if (_rate == 0) return null;
        if (_spare == 0) return await buckets.TryTakeAsync(tenantId, events, ct);
        var lease = _leases.GetOrAdd(tenantId, static (_, time) => new Lease(time), time);
        if (lease.TryTake(events)) return null;
        if (await buckets.TryTakeAsync(tenantId, events + _spare, ct) is null)
        {
            lease.Add(_spare, _spare);
            return null;
        }
        return await buckets.TryTakeAsync(tenantId, events, ct);
    }

    /// <summary>A tenant's spare tokens in this process, and when they were taken.</summary>
    private sealed class Lease(TimeProvider time)
    {
        private readonly Lock _lock = new();
        private int _tokens;
        private long _takenAt;

        public bool TryTake(int tokens)
        {
            lock (_lock)
            {
                if (_tokens < tokens || Expired()) return false;
                _tokens -= tokens;
                return true;
            }
        }

        /// <summary>Keeps at most <paramref name="max"/>: publishes that ran short at once each took spares, and
        /// holding all of them would let this process hold more than its share.</summary>
        public void Add(int tokens, int max)
        {
            lock (_lock)
            {
                _tokens = Math.Min(max, (Expired() ? 0 : _tokens) + tokens);
                _takenAt = time.GetTimestamp();
            }
        }

        private bool Expired() => time.GetElapsedTime(_takenAt) >= LeaseLifetime;
    }
}
