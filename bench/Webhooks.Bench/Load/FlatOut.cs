using System.Diagnostics;

namespace Webhooks.Bench.Load;

/// <summary><paramref name="workers"/> loops that each send, wait for the answer and send again, for a fixed time.</summary>
internal static class FlatOut
{
    public static async Task<LoadResult> RunAsync(string label, string unit, int workers, TimeSpan duration,
        Func<CancellationToken, Task<Outcome>> send, CancellationToken ct)
    {
        long requests = 0, items = 0, errors = 0;
        string? firstError = null;
        var latencies = new List<double>[workers];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var started = Stopwatch.GetTimestamp();

        await using (ProgressLine.Start(label, () =>
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var done = Interlocked.Read(ref items);
            return $"{done,10:N0} {unit}  {done / elapsed,8:N0}/s  errors {Interlocked.Read(ref errors):N0}";
        }))
        {
            stop.CancelAfter(duration);
            await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
            {
                var own = latencies[w] = new List<double>(4096);
                while (!stop.IsCancellationRequested)
                {
                    var sent = Stopwatch.GetTimestamp();
                    Outcome outcome;
                    try
                    {
                        outcome = await send(ct);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                    {
                        outcome = Outcome.Failed(e.Message);
                    }
                    own.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    Interlocked.Increment(ref requests);
                    if (outcome.Error is null)
                    {
                        Interlocked.Add(ref items, outcome.Items);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                        Interlocked.CompareExchange(ref firstError, outcome.Error, null);
                    }
                }
            }, ct)));
        }
        return new LoadResult(requests, items, errors, Stopwatch.GetElapsedTime(started), latencies.SelectMany(l => l).ToArray(), firstError);
    }
}
