namespace Webhooks.Bench.Reporting;

/// <summary>Everything a run found: the table's rows, each scenario's detailed numbers and its CPU use per process.</summary>
internal sealed class BenchReport
{
    public List<Figure> Figures { get; } = [];
    /// <summary>Scenario → its numbers, as measured (for the JSON file).</summary>
    public Dictionary<string, object> Details { get; } = [];
    /// <summary>Scenario → process → CPU % of one core during the scenario.</summary>
    public Dictionary<string, IReadOnlyDictionary<string, double>> Cpu { get; } = [];
    public List<string> Notes { get; } = [];
    /// <summary>Markdown printed after the tables, each a section of its own (the latency breakdown).</summary>
    public List<string> Sections { get; } = [];

    public void Add(Figure figure) => Figures.Add(figure);

    public void Note(string note)
    {
        if (!Notes.Contains(note)) Notes.Add(note);
    }
}
