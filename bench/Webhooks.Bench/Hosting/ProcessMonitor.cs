namespace Webhooks.Bench.Hosting;

/// <summary>
/// CPU time and peak memory of each process of the system under test, read from /proc. The processes are found among
/// this bench's descendants (DCP, which Aspire starts as our child, starts them), so other copies of the app on the
/// box are never counted. CPU is utime+stime, plus the reaped children's time for the group's root (Postgres backends
/// come and go under the postmaster); a group's CPU sums its processes (the scaling scenario's extra Dispatchers count
/// as "dispatcher"). Peak memory is the highest VmHWM among the group's processes; for Postgres (a postmaster and its
/// backends) it is the highest sum of PSS seen by sampling, so shared buffers count once.
/// </summary>
internal sealed class ProcessMonitor : IAsyncDisposable
{
    public static readonly string[] Groups = ["api", "dispatcher", "postgres", "redis", "bench", "receiver"];
    // USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux the project runs on.
    private const double TicksPerSecond = 100;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, long> _peakBytes = Groups.ToDictionary(g => g, _ => 0L);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    private ProcessMonitor() => _sampling = SampleAsync(_stop.Token);

    public static ProcessMonitor Start() => new();

    /// <summary>Key of the CPU used by everything else on the box (the box is shared: other work slows every figure).</summary>
    public const string Others = "other (rest of box)";

    /// <summary>CPU seconds used so far by each group, and by <see cref="Others"/>.</summary>
    public IReadOnlyDictionary<string, double> CpuSeconds()
    {
        var box = ProcFs.BoxBusyTicks() / TicksPerSecond;
        var members = FindMembers();
        // The bench's own reaped children (initdb, docker info) are not load; a service root's are (Postgres backends).
        var seconds = Groups.ToDictionary(g => g, g => members[g]
            .Sum(p => p.CpuTicks(includeChildren: g != "bench" && !members[g].Any(o => o.Pid == p.ParentPid))) / TicksPerSecond);
        seconds[Others] = box - seconds.Values.Sum();
        return seconds;
    }

    public IReadOnlyDictionary<string, long> PeakMemoryBytes()
    {
        lock (_lock) return new Dictionary<string, long>(_peakBytes);
    }

    /// <summary>The pids per group and the command line of the group's root, for the report.</summary>
    public IReadOnlyDictionary<string, string> Describe()
    {
        var members = FindMembers();
        return Groups.ToDictionary(g => g, g =>
        {
            var root = members[g].FirstOrDefault(p => !members[g].Any(o => o.Pid == p.ParentPid));
            return root is null ? "(not found)" : $"pid {root.Pid}{(members[g].Count > 1 ? $" (+{members[g].Count - 1})" : "")}: {Shorten(root.CommandLine)}";
        });
    }

    private async Task SampleAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(SampleEvery);
        try
        {
            do
            {
                var members = FindMembers();
                lock (_lock)
                {
                    foreach (var group in Groups)
                    {
                        var list = members[group];
                        // Postgres is one server of many processes (shared buffers count once in PSS); the Dispatchers
                        // of the scaling scenario are peers, and the target is about one of them.
                        var bytes = group == "postgres" && list.Count > 1
                            ? list.Sum(p => ProcFs.ProportionalBytes(p.Pid))
                            : list.Select(p => ProcFs.PeakResidentBytes(p.Pid)).DefaultIfEmpty(0).Max();
                        if (bytes > _peakBytes[group]) _peakBytes[group] = bytes;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The Dispatcher processes of the system under test (the AppHost's and any the bench added).</summary>
    public static IReadOnlyList<ProcFs.ProcessStat> DispatcherProcesses() => FindMembers()["dispatcher"];

    private static Dictionary<string, List<ProcFs.ProcessStat>> FindMembers()
    {
        var self = Environment.ProcessId;
        var all = ProcFs.AllProcesses();
        // DCP detaches (its parent becomes init) but is told to watch us: `dcp start-apiserver --monitor <our pid>`.
        var roots = all.Where(p => p.Pid == self || MonitorsUs(p, self)).Select(p => p.Pid).ToList();
        var descendants = roots.SelectMany(root => Descendants(all, root)).DistinctBy(p => p.Pid).ToList();
        var members = Groups.ToDictionary(g => g, _ => new List<ProcFs.ProcessStat>());
        foreach (var process in descendants)
        {
            if (Classify(process) is { } group) members[group].Add(process);
        }
        if (all.FirstOrDefault(p => p.Pid == self) is { } me) members["bench"].Add(me);
        return members;
    }

    private static List<ProcFs.ProcessStat> Descendants(List<ProcFs.ProcessStat> all, int root)
    {
        var children = all.ToLookup(p => p.ParentPid);
        var result = new List<ProcFs.ProcessStat>();
        var stack = new Stack<int>([root]);
        while (stack.Count > 0)
        {
            foreach (var child in children[stack.Pop()])
            {
                result.Add(child);
                stack.Push(child.Pid);
            }
        }
        return result;
    }

    private static bool MonitorsUs(ProcFs.ProcessStat process, int self)
    {
        var index = Array.IndexOf(process.Arguments, "--monitor");
        return process.Comm == "dcp" && index >= 0 && index + 1 < process.Arguments.Length
            && process.Arguments[index + 1] == self.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string? Classify(ProcFs.ProcessStat process)
    {
        if (process.Comm == "postgres") return "postgres";
        if (process.Comm == "redis-server") return "redis";
        // The bench's webhook receiver, a process of its own (Receiving/ReceiverProcess).
        if (process.Arguments.Contains(Receiving.ReceiverProcess.Argument)) return "receiver";
        // The app itself, not a `dotnet run` wrapper (whose arguments name the .csproj).
        foreach (var arg in process.Arguments)
        {
            var name = Path.GetFileName(arg);
            if (name is "Webhooks.Api" or "Webhooks.Api.dll") return "api";
            if (name is "Webhooks.Dispatcher" or "Webhooks.Dispatcher.dll") return "dispatcher";
        }
        return null;
    }

    private static string Shorten(string commandLine) => commandLine.Length <= 160 ? commandLine : commandLine[..157] + "...";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
