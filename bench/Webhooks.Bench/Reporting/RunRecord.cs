using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Bench.Reporting;

/// <summary>One run as written to bench/results/&lt;timestamp&gt;.json.</summary>
internal sealed record RunRecord(
    string Command,
    string Commit,
    DateTimeOffset StartedAt,
    bool Quick,
    Machine Machine,
    string LoadAverageAfter,
    IReadOnlyList<string> ServiceSettings,
    BenchOptions Options,
    IReadOnlyList<Figure> Figures,
    IReadOnlyDictionary<string, object> Scenarios,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Cpu,
    IReadOnlyDictionary<string, long> PeakMemoryBytes,
    IReadOnlyDictionary<string, string> Processes,
    IReadOnlyList<string> Notes,
    [property: System.Text.Json.Serialization.JsonIgnore] IReadOnlyList<string> Sections)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the record under <c>bench/results/</c> (git-ignored) and returns the file's path.</summary>
    public async Task<string> WriteAsync(string repositoryRoot)
    {
        var directory = Path.Combine(repositoryRoot, "bench", "results");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{StartedAt:yyyyMMdd-HHmmss}{(Quick ? "-quick" : "")}.json");
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, this, Json);
        return path;
    }
}
