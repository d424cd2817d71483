namespace Webhooks.Bench.Hosting;

/// <summary>The few /proc reads the monitor needs. A process may exit between listing and reading: that reads as absent.</summary>
internal static class ProcFs
{
    internal sealed record ProcessStat(int Pid, int ParentPid, string Comm, long UserTicks, long SystemTicks,
        long ChildUserTicks, long ChildSystemTicks, string[] Arguments)
    {
        public string CommandLine => string.Join(' ', Arguments);

        /// <summary>Own time, plus that of reaped children when this is the root of its group.</summary>
        public long CpuTicks(bool includeChildren) =>
            UserTicks + SystemTicks + (includeChildren ? ChildUserTicks + ChildSystemTicks : 0);
    }

    public static List<ProcessStat> AllProcesses()
    {
        var result = new List<ProcessStat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Read(pid) is { } stat) result.Add(stat);
        }
        return result;
    }

    private static ProcessStat? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The comm field is in parentheses and may hold spaces or parentheses itself.
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            var comm = stat[(open + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            // fields[0] is field 3 (state) of proc(5): ppid is field 4, utime..cstime fields 14..17.
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            return new ProcessStat(pid, int.Parse(fields[1]), comm,
                long.Parse(fields[11]), long.Parse(fields[12]), long.Parse(fields[13]), long.Parse(fields[14]), arguments);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The process's environment as it was started (/proc/&lt;pid&gt;/environ).</summary>
    public static Dictionary<string, string> Environment(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2)).Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0]).ToDictionary(g => g.Key, g => g.Last()[1]);

    public static string WorkingDirectory(int pid) => new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: true)?.FullName
        ?? throw new IOException($"No working directory for process {pid}.");

    /// <summary>CPU time used by everything on the box (user, nice, system, irq, softirq), in ticks.</summary>
    public static long BoxBusyTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new[] { 1, 2, 3, 6, 7 }.Sum(i => long.Parse(fields[i]));
    }

    /// <summary>VmHWM: the process's peak resident set, as the kernel tracked it.</summary>
    public static long PeakResidentBytes(int pid) => StatusKilobytes($"/proc/{pid}/status", "VmHWM:") * 1024;

    /// <summary>PSS: resident memory with shared pages divided among the processes sharing them.</summary>
    public static long ProportionalBytes(int pid) => StatusKilobytes($"/proc/{pid}/smaps_rollup", "Pss:") * 1024;

    private static long StatusKilobytes(string path, string field)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
                var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0]);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return 0;
    }
}
