namespace Webhooks.Bench.Scenarios;

internal interface IScenario
{
    /// <summary>The name <c>--only</c> selects it by.</summary>
    string Name { get; }

    /// <summary>Runs, bounded in time and count, and adds its figures to the report (also when it could not measure).</summary>
    Task RunAsync(BenchContext context, CancellationToken ct);
}
