using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Webhooks.Bench.Receiving;

namespace Webhooks.Bench.Load;

/// <summary>One accepted event as the publisher saw it: when its publish call started (wall clock, UTC ticks, the
/// receiver's clock too), how long the call took, what the Api said (<c>createdAt</c>: its clock at acceptance), and
/// the trace the call started (<see cref="PacedPublishing.RunAsync"/> with <c>traced</c>), else default.</summary>
internal readonly record struct AcceptedEvent(Guid Id, DateTimeOffset CreatedAt, long CallStartedTicks, double RoundTripMs, ActivityTraceId Trace);

/// <summary>
/// Paced single publishes (<c>POST /v1/events</c>, open model: see <see cref="Paced"/>), recording each accepted event.
/// The latency and fairness scenarios measure from these records to each delivery's arrival.
/// </summary>
internal static class PacedPublishing
{
    /// <param name="traced">Each call starts a trace of its own (a <c>traceparent</c> header with a fresh trace id),
    /// so the services' spans of that publish and of its delivery can be told apart (the latency breakdown).</param>
    public static async Task<PublishedEvents> RunAsync(string label, HttpClient client, int rate, TimeSpan duration, int maxInFlight,
        CancellationToken ct, bool traced = false)
    {
        var accepted = new AcceptedEvent[(int)(rate * duration.TotalSeconds)];

        async Task<Outcome> PublishAsync(int index, CancellationToken c)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = Http.Json(Payloads.Event) };
            var trace = traced ? ActivityTraceId.CreateRandom() : default;
            if (traced) request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
            var callStarted = TimeProvider.System.GetUtcNow().UtcTicks;
            var started = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request, c);
            var body = await response.Content.ReadAsByteArrayAsync(c);
            var roundTrip = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.Accepted) return Outcome.Failed(await Http.DescribeAsync(response, c));
            using var json = JsonDocument.Parse(body);
            accepted[index] = new AcceptedEvent(json.RootElement.GetProperty("id").GetGuid(),
                json.RootElement.GetProperty("createdAt").GetDateTimeOffset(), callStarted, roundTrip, trace);
            return new Outcome(1);
        }

        var load = await Paced.RunAsync(label, rate, duration, maxInFlight, PublishAsync, ct);
        return new PublishedEvents(load, accepted.Where(a => a.Id != Guid.Empty).ToList());
    }
}

/// <summary>What a paced run published, and how to measure its deliveries' arrival against it.</summary>
internal sealed record PublishedEvents(LoadResult Load, IReadOnlyList<AcceptedEvent> Accepted)
{
    /// <summary>The publish calls' round trips (the accepted ones), in ms.</summary>
    public Latency RoundTrip => Latency.Of(Accepted.Select(a => a.RoundTripMs));

    /// <summary>How many of the events have a delivery in <paramref name="inbox"/> so far.</summary>
    public int ArrivedIn(Inbox inbox)
    {
        var ids = Accepted.Select(a => a.Id).ToHashSet();
        return inbox.Arrivals.Where(a => ids.Contains(a.EventId)).Select(a => a.EventId).Distinct().Count();
    }

    /// <summary>Each event's first arrival in <paramref name="inbox"/>, measured from the start of its publish call and
    /// from its acceptance (<c>createdAt</c>); events with no arrival count as missing.</summary>
    public Arrivals ArrivalsIn(Inbox inbox)
    {
        var first = new Dictionary<Guid, long>();
        foreach (var arrival in inbox.Arrivals)
        {
            if (!first.TryGetValue(arrival.EventId, out var ticks) || arrival.Ticks < ticks) first[arrival.EventId] = arrival.Ticks;
        }
        var fromCall = new List<double>(Accepted.Count);
        var fromAcceptance = new List<double>(Accepted.Count);
        foreach (var e in Accepted)
        {
            if (!first.TryGetValue(e.Id, out var ticks)) continue;
            fromCall.Add(TimeSpan.FromTicks(ticks - e.CallStartedTicks).TotalMilliseconds);
            fromAcceptance.Add(TimeSpan.FromTicks(ticks - e.CreatedAt.UtcTicks).TotalMilliseconds);
        }
        return new Arrivals(Latency.Of(fromCall), Latency.Of(fromAcceptance), Accepted.Count - fromCall.Count, Accepted.Count);
    }
}

/// <param name="FromCall">Start of the client's publish call → arrival at the receiver.</param>
/// <param name="FromAcceptance">The event's <c>createdAt</c> (the Api's clock at acceptance) → arrival.</param>
internal sealed record Arrivals(Latency FromCall, Latency FromAcceptance, int Missing, int Accepted)
{
    public string MissingSuffix(string why = "never arrived") => Missing > 0 ? $"; {Missing:N0} of {Accepted:N0} {why}" : "";
}
