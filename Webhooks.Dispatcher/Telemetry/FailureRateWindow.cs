namespace Webhooks.Dispatcher.Telemetry;

/// <summary>
/// Attempts and failures over a sliding five-minute window, in one-minute buckets, so the failure-rate gauge shows
/// what is failing now rather than since start-up.
/// </summary>
internal sealed class FailureRateWindow(TimeProvider time)
{
    private const int Buckets = 5;
    private readonly long[] _minute = new long[Buckets];
    private readonly long[] _attempts = new long[Buckets];
    private readonly long[] _failures = new long[Buckets];
    private readonly Lock _lock = new();

    public void Add(bool succeeded)
    {
        var minute = CurrentMinute();
        lock (_lock)
        {
            var i = (int)(minute % Buckets);
            if (_minute[i] != minute)
            {
                _minute[i] = minute;
                _attempts[i] = 0;
                _failures[i] = 0;
            }
            _attempts[i]++;
            if (!succeeded) _failures[i]++;
        }
    }

    public double Ratio()
    {
        var minute = CurrentMinute();
        long attempts = 0, failures = 0;
        lock (_lock)
        {
            for (var i = 0; i < Buckets; i++)
            {
                if (minute - _minute[i] >= Buckets) continue;
                attempts += _attempts[i];
                failures += _failures[i];
            }
        }
        return attempts == 0 ? 0 : (double)failures / attempts;
    }

    private long CurrentMinute() => time.GetUtcNow().ToUnixTimeSeconds() / 60;
}
