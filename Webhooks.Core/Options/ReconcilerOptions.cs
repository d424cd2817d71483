namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Reconciler</c>: the sweep that puts back into Redis what Postgres says is due.</summary>
public sealed class ReconcilerOptions
{
    public const string Section = "Webhooks:Reconciler";

    /// <summary>How often Postgres is swept for due deliveries Redis lacks (default 1 min), 100 ms – 1 day.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}
