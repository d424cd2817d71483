namespace Webhooks.Dispatcher.Claiming;

/// <summary>
/// Slows claiming while Postgres is failing: every failure doubles the pause (0.25 s up to 30 s), any success ends it.
/// Deliveries that hit the failure stay in flight; the reaper returns them when their lease expires.
/// </summary>
internal sealed class DatabaseBackoff(TimeProvider time)
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private int _failures;
    private DateTimeOffset _until;

    public void Failed()
    {
        lock (_lock)
        {
            _failures = Math.Min(_failures + 1, 30);
            var pause = First * Math.Pow(2, _failures - 1);
            _until = time.GetUtcNow() + (pause < Longest ? pause : Longest);
        }
    }

    public void Succeeded()
    {
        if (Volatile.Read(ref _failures) == 0) return;
        lock (_lock)
        {
            _failures = 0;
            _until = default;
        }
    }

    /// <summary>How long the loop should still hold off claiming; zero or less when it need not.</summary>
    public TimeSpan Remaining
    {
        get
        {
            lock (_lock) return _until - time.GetUtcNow();
        }
    }
}
