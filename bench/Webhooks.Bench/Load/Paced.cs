using System.Diagnostics;

namespace Webhooks.Bench.Load;

/// <summary>
/// Sends at a fixed rate for a fixed time: request i starts at <c>start + i / rate</c>, whatever the answers take (an
/// open model, so a slow server shows as latency rather than as a lower rate). In-flight requests are capped; hitting
/// the cap is reported, since from then on the rate is no longer the one asked for; a server that cannot keep up at
/// all stops the run at twice its planned time (plus 5 s), so the scenario stays bounded in time as well as in count.
/// </summary>
internal static class Paced
{
    public static async Task<LoadResult> RunAsync(string label, int rate, TimeSpan duration, int maxInFlight,
        Func<int, CancellationToken, Task<Outcome>> send, CancellationToken ct)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        long items = 0, errors = 0, sentCount = 0, capped = 0;
        string? firstError = null;
        using var slots = new SemaphoreSlim(maxInFlight);
        var running = new List<Task>(total);
        var started = Stopwatch.GetTimestamp();
        var ticksPerRequest = (double)Stopwatch.Frequency / rate;
        var deadline = duration * 2 + TimeSpan.FromSeconds(5);

        await using (ProgressLine.Start(label, () =>
            $"{Interlocked.Read(ref sentCount),8:N0} / {total:N0} sent  errors {Interlocked.Read(ref errors):N0}  in flight {maxInFlight - slots.CurrentCount}"))
        {
            for (var i = 0; i < total; i++)
            {
                if (Stopwatch.GetElapsedTime(started) > deadline)
                {
                    ProgressLine.Say(label, $"stopped after {i:N0} of {total:N0} requests: the server cannot keep up with {rate}/s.");
                    break;
                }
                var due = started + (long)(i * ticksPerRequest);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, ct);
                if (!slots.Wait(0))
                {
                    Interlocked.Increment(ref capped);
                    await slots.WaitAsync(ct);
                }
                var index = i;
                Interlocked.Increment(ref sentCount);
                running.Add(Task.Run(async () =>
                {
                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        var outcome = await send(index, ct);
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
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref errors);
                        Interlocked.CompareExchange(ref firstError, e.Message, null);
                    }
                    finally
                    {
                        latencies[index] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                        slots.Release();
                    }
                }, ct));
            }
            await Task.WhenAll(running);
        }
        if (capped > 0) ProgressLine.Say(label, $"{capped:N0} requests waited for one of the {maxInFlight} in-flight slots: the rate fell behind.");
        var sent = (int)Interlocked.Read(ref sentCount);
        return new LoadResult(sent, items, errors, Stopwatch.GetElapsedTime(started), latencies[..sent], firstError);
    }
}
