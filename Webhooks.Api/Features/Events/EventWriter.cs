using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using Webhooks.Core.Data;
using Webhooks.Core.Deliveries;

namespace Webhooks.Api.Features.Events;

/// <summary>
/// Writes published events and their deliveries (<see cref="NewDeliveries"/>), then schedules the deliveries
/// (<see cref="DeliveryScheduler"/>) while the publishes answer, by group commit
/// (<see cref="GroupCommit{TItem, TResult}"/>): the single publishes that arrive while a write is in flight all go into
/// the next statement. Measured with 32 clients on the 2-core box:
/// per-statement and per-commit work was most of Postgres' CPU per single publish, and one Postgres and one Redis round
/// trip per group instead of per request cut the Api's too; one writer made bigger groups, hence less CPU per event and
/// more events/s, than two or more. A request that is already a big batch gains nothing from company: it is written on
/// its own, at once. Each request's events stay all-or-nothing: they go into one statement together.
/// </summary>
internal sealed partial class EventWriter(NpgsqlDataSource database, DeliveryScheduler scheduler, ILogger<EventWriter> logger)
    : GroupCommit<EventWriter.Request, NewDeliveries.Published>(MaxEventsPerWrite, MaxPayloadCharsPerWrite), IHostedService
{
    /// <summary>Schedules started after a commit and not yet done (see <see cref="AfterCommitAsync"/>).</summary>
    private readonly ConcurrentDictionary<Task, byte> _scheduling = new();

    /// <summary>Requests with at least this many events are written on their own.</summary>
    private const int OwnWriteEvents = 100;

    /// <summary>A group stops growing past this many events, or this many characters of payload, so that a shared
    /// write stays the size of a batch request however big the events are (one request is never split).</summary>
    private const int MaxEventsPerWrite = 1000;
    private const long MaxPayloadCharsPerWrite = 8L * 1024 * 1024;

    /// <summary>Writes one request's events; completes once they are committed (their deliveries' schedule in Redis
    /// follows). Not cancelled with the request: once handed over, the write completes for everyone.</summary>
    public Task<NewDeliveries.Published> WriteAsync(IReadOnlyList<NewDeliveries.NewEvent> events)
    {
        var request = new Request(events, events.Sum(e => (long)e.Payload.Length), Activity.Current?.Context ?? default);
        return events.Count >= OwnWriteEvents ? CommitAloneAsync(request) : CommitAsync(request);
    }

    protected override int CountOf(Request item) => item.Events.Count;

    protected override long BytesOf(Request item) => item.PayloadChars;

    // A repeated idempotency key is no refusal (the statement skips it). Any other refusal, which the checks before the
    // write should leave only to bugs and storage trouble, may be one request's: each is written again alone.
    protected override bool IsRefusal(Exception exception) => exception is PostgresException;

    protected override async Task<IReadOnlyList<NewDeliveries.Published>> WriteGroupAsync(IReadOnlyList<Request> group)
    {
        using var activity = StartLinked("write events", group);
        activity?.SetTag("webhooks.events.count", group.Sum(r => r.Events.Count));
        var events = group.Count == 1 ? group[0].Events : group.SelectMany(r => r.Events).ToList();
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        var created = await NewDeliveries.PublishAsync(connection, events, CancellationToken.None);
        return PerRequest(group, created);
    }

    /// <summary>Starts scheduling the group's deliveries and lets its publishes answer at once: once committed they are
    /// accepted, and if this process stops before Redis has them, the reconciler schedules them from Postgres. Measured
    /// at 20 events/s: the schedule's round trip was ~0.5 ms of a ~4 ms publish (bench/README.md "Seventh round").</summary>
    protected override Task AfterCommitAsync(IReadOnlyList<Request> group, IReadOnlyList<NewDeliveries.Published> results)
    {
        var scheduling = ScheduleAsync(group, results);
        // Added before its removal can run, so a finished schedule never stays behind.
        _scheduling.TryAdd(scheduling, 0);
        _ = scheduling.ContinueWith(done => _scheduling.TryRemove(done, out _), TaskScheduler.Default);
        return Task.CompletedTask;
    }

    private async Task ScheduleAsync(IReadOnlyList<Request> group, IReadOnlyList<NewDeliveries.Published> results)
    {
        try
        {
            using var activity = StartLinked("schedule deliveries", group);
            await scheduler.ScheduleCommittedAsync(results.SelectMany(r => r.Deliveries).Select(d => (d.Queued, d.DueAt)).ToList());
        }
        catch (Exception e)
        {
            // (Redis' own failures are logged by the scheduler; this is anything else, e.g. its connection disposed at stop.)
            LogNotScheduled(e);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>At shutdown (after Kestrel has drained the requests), the schedules still on their way get to finish:
    /// the reconciler would find them anyway, but only at its next sweep.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => WhenScheduledAsync().WaitAsync(cancellationToken);

    /// <summary>Completes once every schedule started so far is done (in Redis, or its failure logged).</summary>
    internal Task WhenScheduledAsync() => Task.WhenAll(_scheduling.Keys);

    /// <summary>The group writer runs outside any request's trace (a big batch's own write runs inside its request's):
    /// a shared write's steps get spans of their own, linked to each request they carry.</summary>
    private static Activity? StartLinked(string name, IReadOnlyList<Request> group) => Activity.Current is not null
        ? ApiTelemetry.ActivitySource.StartActivity(name)
        : ApiTelemetry.ActivitySource.StartActivity(name, ActivityKind.Internal, default(ActivityContext),
            links: group.Where(r => r.Trace != default).Select(r => new ActivityLink(r.Trace)));

    protected override void OnSplitting(Exception exception, int count) => LogSplitting(exception, count);

    /// <summary>Hands each request the deliveries, and the skipped events, of its own events.</summary>
    private static NewDeliveries.Published[] PerRequest(IReadOnlyList<Request> group, NewDeliveries.Published created)
    {
        if (group.Count == 1) return [created];
        var byEvent = new Dictionary<Guid, NewDeliveries.Published>();
        var perRequest = new NewDeliveries.Published[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            perRequest[i] = new NewDeliveries.Published([], []);
            foreach (var e in group[i].Events) byEvent[e.Id] = perRequest[i];
        }
        foreach (var delivery in created.Deliveries) byEvent[delivery.EventId].Deliveries.Add(delivery);
        foreach (var skipped in created.TakenKeyEvents) byEvent[skipped].TakenKeyEvents.Add(skipped);
        return perRequest;
    }

    [LoggerMessage(LogLevel.Warning, "Could not schedule committed deliveries; the reconciler will pick them up")]
    private partial void LogNotScheduled(Exception exception);

    [LoggerMessage(LogLevel.Debug, "A combined write of {Requests} publish requests failed; writing each on its own")]
    private partial void LogSplitting(Exception exception, int requests);

    internal sealed record Request(IReadOnlyList<NewDeliveries.NewEvent> Events, long PayloadChars, ActivityContext Trace);
}
