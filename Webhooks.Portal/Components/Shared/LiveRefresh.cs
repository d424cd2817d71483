namespace Webhooks.Portal.Components.Shared;

/// <summary>Runs a page's refresh every few seconds until stopped or disposed, so deliveries show up and move through
/// their attempts without a click. A new <see cref="Start"/> replaces the previous loop.</summary>
internal sealed class LiveRefresh(TimeProvider time) : IDisposable
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(3);

    private CancellationTokenSource? _stop;

    public bool Running => _stop is { IsCancellationRequested: false };

    public void Start(Func<Task> refresh)
    {
        Stop();
        var stop = _stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(Every, time);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token)) await refresh();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped: the page moved on.
            }
        });
    }

    public void Stop()
    {
        _stop?.Cancel();
        _stop?.Dispose();
        _stop = null;
    }

    public void Dispose() => Stop();
}
