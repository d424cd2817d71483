using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Webhooks.Core.Data;

namespace Webhooks.Api.Limits;

/// <summary>
/// <c>Webhooks:Limits:DeliveriesPerRequest</c>: how many deliveries a publish request would create (each event × the
/// tenant's active webhooks subscribed to its type), so that a request over the limit is refused before anything is
/// written. Counted only for a request that could exceed it (events × WebhooksPerTenant above the limit: with the
/// defaults, batches of more than 100 events), with one query, so single publishes pay nothing.
/// </summary>
/// <remarks>An idempotent repeat creates no deliveries but is counted as if it did: the limit errs on the safe side.
/// A tenant holding more webhooks than WebhooksPerTenant (the limit was lowered since) is not counted for a single
/// event; its fan-out is still bounded by the webhooks it has.</remarks>
internal sealed class FanOutLimit(IServiceScopeFactory scopes, IOptions<LimitsOptions> limits)
{
    public int Limit => limits.Value.DeliveriesPerRequest;

    /// <summary>The deliveries the events would create when that is over the limit; null when within it.</summary>
    public async Task<long?> ExcessAsync(Guid tenantId, IReadOnlyList<string> types, CancellationToken ct)
    {
        if ((long)types.Count * limits.Value.WebhooksPerTenant <= Limit) return null;
        var distinct = types.Distinct().ToArray();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        var subscribed = await db.Webhooks
            .Where(w => w.TenantId == tenantId && w.Active && w.DeletedAt == null && w.Events.Any(e => distinct.Contains(e)))
            .Select(w => w.Events)
            .ToListAsync(ct);
        var perType = distinct.ToDictionary(t => t, t => subscribed.Count(events => events.Contains(t)), StringComparer.Ordinal);
        var deliveries = types.Sum(t => (long)perType[t]);
        return deliveries > Limit ? deliveries : null;
    }
}
