using System.Runtime.InteropServices;

namespace Webhooks.Bench.Reporting;

/// <summary>What the figures were measured on, including how busy the box already was (it is shared).</summary>
internal sealed record Machine(string Cpu, int Cores, double MemoryGiB, string Os, string Runtime, string LoadAverage)
{
    public static Machine Describe() => new(
        FirstValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Environment.ProcessorCount,
        Math.Round(long.Parse((FirstValue("/proc/meminfo", "MemTotal") ?? "0 kB").Split(' ')[0]) / 1024.0 / 1024.0, 1),
        FirstValue("/etc/os-release", "PRETTY_NAME", '=')?.Trim('"') ?? RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        LoadAverageNow());

    public static string LoadAverageNow() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public override string ToString() => $"{Cores} cores ({Cpu}), {MemoryGiB:0} GiB, {Os}, {Runtime}";

    private static string? FirstValue(string path, string key, char separator = ':')
    {
        if (!File.Exists(path)) return null;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? null : line[(line.IndexOf(separator) + 1)..].Trim();
    }
}
