using System.Diagnostics;
using Webhooks.Bench.Hosting;

namespace Webhooks.Bench.Reporting;

/// <summary>CPU each process used while one scenario ran, as a percentage of one core (200% = both cores of this box).</summary>
internal sealed class CpuWindow(ProcessMonitor monitor, Action<IReadOnlyDictionary<string, double>> record) : IDisposable
{
    private readonly IReadOnlyDictionary<string, double> _start = monitor.CpuSeconds();
    private readonly long _started = Stopwatch.GetTimestamp();

    public void Dispose()
    {
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var end = monitor.CpuSeconds();
        record(end.ToDictionary(e => e.Key, e => Math.Round(100 * (e.Value - _start.GetValueOrDefault(e.Key)) / seconds, 1)));
    }
}
