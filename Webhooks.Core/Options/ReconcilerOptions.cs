namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Reconciler</c>: the sweep that puts back into Redis what Postgres says is due.</summary>
public sealed class ReconcilerOptions
{
    public const string Section = "Webhooks:Reconciler";

    /// <summary>How often Postgres is swept for deliveries due within the next 90 s that Redis lacks (default 1 min),
    /// 100 ms – 1 day. Above 90 s, a delivery lost with Redis can be restored up to the difference late.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}
