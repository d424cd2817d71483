using System.Diagnostics;

namespace Webhooks.Bench.Load;

/// <summary>Prints one progress line a second to stderr while a scenario runs (stdout is kept for the report).</summary>
internal sealed class ProgressLine : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _printing;

    private ProgressLine(string label, Func<string> describe) => _printing = PrintAsync(label, describe, _stop.Token);

    public static ProgressLine Start(string label, Func<string> describe) => new(label, describe);

    public static void Say(string label, string message) => Console.Error.WriteLine($"  [{label}] {message}");

    private static async Task PrintAsync(string label, Func<string> describe, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                Say(label, $"{Stopwatch.GetElapsedTime(started).TotalSeconds,5:0.0} s  {describe()}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _printing;
        _stop.Dispose();
    }
}
