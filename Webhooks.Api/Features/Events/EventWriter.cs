using System.Diagnostics;
using Npgsql;
using Webhooks.Core.Deliveries;

namespace Webhooks.Api.Features.Events;

/// <summary>
/// Writes published events to Postgres and schedules their deliveries. Small requests (single publishes) share
/// writes: one write is in flight at a time, and the requests that arrive meanwhile all go into the next statement
/// and commit (group commit). A lone request is written at once; under load each write carries whatever queued.
/// Measured with 32 clients on the 2-core box: per-statement and per-commit work was most of Postgres' CPU per single
/// publish, and one Postgres and one Redis round trip per group instead of per request cut the Api's too; one writer
/// made bigger groups, hence less CPU per event and more events/s, than two or more. A request that is already a big
/// batch gains nothing from company: it is written on its own, at once, beside the group writer.
///
/// Each request's events stay all-or-nothing: they go into one statement together. If Postgres refuses a combined
/// write, every request in it is written again on its own, so one request's error (a concurrent repeat of an
/// idempotency key, say) is never another's. Deliveries are scheduled in Redis only after the commit, and a Redis
/// failure is logged and left to the reconciler, as before.
/// </summary>
internal sealed class EventWriter(NpgsqlDataSource database, DeliveryScheduler scheduler, ILogger<EventWriter> logger)
{
    /// <summary>Requests with at least this many events are written on their own.</summary>
    private const int OwnWriteEvents = 100;

    /// <summary>A group stops growing past this many events, or this many characters of payload, so that a shared
    /// write stays the size of a batch request however big the events are (one request is never split).</summary>
    private const int MaxEventsPerWrite = 1000;
    private const long MaxPayloadCharsPerWrite = 8L * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Queue<Pending> _waiting = new();
    private bool _writing;

    /// <summary>Writes one request's events; completes once they are committed (and their deliveries scheduled, or
    /// Redis' failure logged).</summary>
    public async Task<List<NewDeliveries.NewDelivery>> WriteAsync(IReadOnlyList<NewDeliveries.NewEvent> events)
    {
        var pending = new Pending(events);
        if (events.Count >= OwnWriteEvents)
        {
            await WriteGroupAsync([pending]);
            return await pending.Done.Task;
        }

        bool startWriter;
        lock (_lock)
        {
            _waiting.Enqueue(pending);
            startWriter = !_writing;
            _writing = true;
        }
        if (startWriter)
        {
            // The writer serves other requests too: it must not carry this request's trace or cancellation along.
            using (ExecutionContext.SuppressFlow()) _ = Task.Run(DrainAsync);
        }
        return await pending.Done.Task;
    }

    private async Task DrainAsync()
    {
        while (TakeGroup() is { } group) await WriteGroupAsync(group);
    }

    private List<Pending>? TakeGroup()
    {
        lock (_lock)
        {
            if (_waiting.Count == 0)
            {
                _writing = false;
                return null;
            }
            var group = new List<Pending> { _waiting.Dequeue() };
            var (events, chars) = (group[0].Events.Count, group[0].PayloadChars);
            while (_waiting.TryPeek(out var next)
                   && events + next.Events.Count <= MaxEventsPerWrite && chars + next.PayloadChars <= MaxPayloadCharsPerWrite)
            {
                group.Add(_waiting.Dequeue());
                (events, chars) = (events + next.Events.Count, chars + next.PayloadChars);
            }
            return group;
        }
    }

    private async Task WriteGroupAsync(List<Pending> group)
    {
        var events = group.Count == 1 ? group[0].Events : group.SelectMany(p => p.Events).ToList();
        List<NewDeliveries.NewDelivery> created;
        try
        {
            created = await InsertAsync(group, events);
        }
        catch (PostgresException e) when (group.Count > 1)
        {
            // Postgres refused the statement, so none of it was committed: writing each request alone finds whose it was.
            logger.LogDebug(e, "A combined write of {Requests} publish requests failed; writing each on its own", group.Count);
            foreach (var pending in group) await WriteGroupAsync([pending]);
            return;
        }
        catch (Exception e)
        {
            // Not retried here: after a lost connection nobody knows whether the commit happened.
            foreach (var pending in group) pending.Done.TrySetException(e);
            return;
        }

        // Not awaited: the writer goes back for the next group as soon as this one is committed, and the schedule (a
        // Redis round trip) completes this group's requests meanwhile. Under load the next insert no longer waits for it.
        _ = ScheduleAsync(group, created);
    }

    private async Task ScheduleAsync(List<Pending> group, List<NewDeliveries.NewDelivery> created)
    {
        try
        {
            await scheduler.ScheduleCommittedAsync(created.ConvertAll(d => (d.Id, d.DueAt)));
            Complete(group, created);
        }
        catch (Exception e)
        {
            foreach (var pending in group) pending.Done.TrySetException(e);
        }
    }

    private async Task<List<NewDeliveries.NewDelivery>> InsertAsync(List<Pending> group, IReadOnlyList<NewDeliveries.NewEvent> events)
    {
        // The group writer runs outside any request's trace (a big batch's own write runs inside its request's): a
        // shared write gets a span of its own, linked to each request it carries.
        using var activity = Activity.Current is not null ? null
            : ApiTelemetry.ActivitySource.StartActivity("write events", ActivityKind.Internal, default(ActivityContext),
                links: group.Where(p => p.Trace != default).Select(p => new ActivityLink(p.Trace)));
        // Not cancelled with any one request: the write is shared, and short.
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        return await NewDeliveries.PublishAsync(connection, events, CancellationToken.None);
    }

    /// <summary>Hands each request the deliveries of its own events.</summary>
    private static void Complete(List<Pending> group, List<NewDeliveries.NewDelivery> created)
    {
        if (group.Count == 1)
        {
            group[0].Done.TrySetResult(created);
            return;
        }
        var byEvent = new Dictionary<Guid, List<NewDeliveries.NewDelivery>>();
        var perRequest = new List<NewDeliveries.NewDelivery>[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            perRequest[i] = [];
            foreach (var e in group[i].Events) byEvent[e.Id] = perRequest[i];
        }
        foreach (var delivery in created) byEvent[delivery.EventId].Add(delivery);
        for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(perRequest[i]);
    }

    private sealed class Pending(IReadOnlyList<NewDeliveries.NewEvent> events)
    {
        public IReadOnlyList<NewDeliveries.NewEvent> Events { get; } = events;
        public long PayloadChars { get; } = events.Sum(e => (long)e.Payload.Length);
        public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;
        public TaskCompletionSource<List<NewDeliveries.NewDelivery>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
