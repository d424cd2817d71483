using System.Collections.Concurrent;

namespace Webhooks.Bench.Receiving;

/// <summary>One arrival: the delivery (<c>webhook-id</c>), its event (the body's <c>id</c>) and when it came, in UTC ticks.</summary>
internal readonly record struct Arrival(Guid DeliveryId, Guid EventId, long Ticks, int Attempt)
{
    public DateTime At => new(Ticks, DateTimeKind.Utc);
}

/// <summary>What one receiver path has seen. Appends are lock-free; reading the log is for after (or between) runs.
/// The receiver's process keeps one per path and answers by it (fail-first, held, slow); the bench keeps a copy of
/// each, fed by the receiver's stream of arrivals (see <see cref="Receiver"/>).</summary>
internal sealed class Inbox(string url, bool failFirst)
{
    private readonly ConcurrentQueue<Arrival> _arrivals = new();
    private readonly ConcurrentDictionary<Guid, int> _attempts = new();
    private long _requests;
    private long _deliveries;
    private long _firstTicks;
    private long _lastTicks;

    private TaskCompletionSource? _gate;

    public string Url { get; } = url;
    public bool FailFirst { get; } = failFirst;

    /// <summary>Completed while the inbox is open; while it is held, requests wait at the receiver, unanswered.</summary>
    public Task Gate => _gate?.Task ?? Task.CompletedTask;

    /// <summary>Holds every request from now on until <see cref="Open"/>: arrivals are stamped when the gate opens.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate?.TrySetResult();

    /// <summary>How long each request is answered after it arrived (a slow endpoint); zero answers at once.</summary>
    public TimeSpan Delay { get; set; }

    public long Requests => Interlocked.Read(ref _requests);
    /// <summary>Distinct delivery ids seen.</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);
    public DateTime? FirstArrival => Interlocked.Read(ref _firstTicks) is var t and > 0 ? new DateTime(t, DateTimeKind.Utc) : null;
    public DateTime? LastArrival => Interlocked.Read(ref _lastTicks) is var t and > 0 ? new DateTime(t, DateTimeKind.Utc) : null;
    public IReadOnlyCollection<Arrival> Arrivals => _arrivals;

    /// <summary>Records a request as it arrives.</summary>
    /// <returns>The arrival, with the attempt number of this delivery as seen here (1 for the first arrival of its id).</returns>
    public Arrival Record(Guid deliveryId, Guid eventId, long ticks)
    {
        var arrival = new Arrival(deliveryId, eventId, ticks, _attempts.AddOrUpdate(deliveryId, 1, (_, n) => n + 1));
        Add(arrival);
        return arrival;
    }

    /// <summary>Adds an arrival recorded elsewhere (the bench's copy of the receiver's inbox).</summary>
    public void Add(Arrival arrival)
    {
        if (arrival.Attempt == 1) Interlocked.Increment(ref _deliveries);
        Interlocked.Increment(ref _requests);
        Interlocked.CompareExchange(ref _firstTicks, arrival.Ticks, 0);
        long last;
        do last = Interlocked.Read(ref _lastTicks);
        while (arrival.Ticks > last && Interlocked.CompareExchange(ref _lastTicks, arrival.Ticks, last) != last);
        _arrivals.Enqueue(arrival);
    }
}
