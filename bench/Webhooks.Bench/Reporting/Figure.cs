namespace Webhooks.Bench.Reporting;

/// <summary>One row of the results table. <paramref name="Met"/> is null where there is no target or nothing was measured.</summary>
internal sealed record Figure(string Scenario, string Name, string Value, string Target, string RawLimit, bool? Met)
{
    public const string None = "—";
}
