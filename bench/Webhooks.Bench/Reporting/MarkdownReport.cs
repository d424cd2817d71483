using System.Text;
using Webhooks.Bench.Hosting;

namespace Webhooks.Bench.Reporting;

/// <summary>The run as markdown: the figures beside their targets and the raw limit, then CPU and memory per process.</summary>
internal static class MarkdownReport
{
    public static string Render(RunRecord run)
    {
        var md = new StringBuilder();
        md.AppendLine($"### {(run.Quick ? "Quick (smoke) run" : "Full run")}, {run.StartedAt:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine($"`{run.Command}` at {run.Commit} on {run.Machine}; load average {run.Machine.LoadAverage} before, {run.LoadAverageAfter} after.");
        md.AppendLine();
        md.AppendLine("| figure | value | target | raw limit |");
        md.AppendLine("|---|---|---|---|");
        foreach (var f in run.Figures)
            md.AppendLine($"| {f.Name} | {Mark(f.Met)}{f.Value} | {f.Target} | {f.RawLimit} |");
        md.AppendLine();
        md.AppendLine("✅ meets the target, ❌ misses it. ¹ measured separately on a box of this kind (see bench/README.md, \"The machine\").");
        md.AppendLine();

        var scenarios = run.Cpu.Keys.ToList();
        md.AppendLine($"| process | {string.Join(" | ", scenarios.Select(s => $"CPU % {s}"))} | peak memory |");
        md.AppendLine($"|---|{string.Concat(scenarios.Select(_ => "---|"))}---|");
        foreach (var process in ProcessMonitor.Groups.Append(ProcessMonitor.Others))
        {
            var cpu = scenarios.Select(s => run.Cpu[s].TryGetValue(process, out var v) ? $"{v:0}" : "?");
            var memory = run.PeakMemoryBytes.GetValueOrDefault(process);
            md.AppendLine($"| {process} | {string.Join(" | ", cpu)} | {(memory > 0 ? $"{memory / 1024.0 / 1024.0:N0} MB" : Figure.None)} |");
        }
        md.AppendLine();
        md.AppendLine("CPU is % of one core over each scenario's measured window (the box has 200%). Peak memory: VmHWM; Postgres: the highest sum of PSS over its processes.");
        foreach (var section in run.Sections)
        {
            md.AppendLine();
            md.Append(section);
        }
        foreach (var note in run.Notes)
        {
            md.AppendLine();
            md.AppendLine($"Note: {note}");
        }
        return md.ToString();
    }

    private static string Mark(bool? met) => met switch { true => "✅ ", false => "❌ ", null => "" };
}
