using System.Diagnostics;
using System.Text;
using Webhooks.Bench.Load;
using Webhooks.Bench.Receiving;

namespace Webhooks.Bench.Tracing;

/// <summary>
/// Where each millisecond of a publish and its delivery goes, from the services' own spans (issue 17). Every publish
/// of the run carries a trace of its own (<see cref="PacedPublishing"/>), so each event's spans are found by its trace
/// id: the Api's request span and its children, the delivery's <c>deliver</c> span and its children. Spans that serve
/// many events carry links to them (the group writer's <c>write events</c> and <c>schedule deliveries</c>); the
/// Dispatcher's claim (with the in-flight caps) and read serve a whole claim, one at a time, so a delivery's are the last
/// ones to end before its <c>deliver</c> span starts. The client's call start and the receiver's arrival stamp close the chain; all are
/// read off the same machine clock.
/// </summary>
internal sealed class LatencyBreakdown
{
    /// <summary>The steps in the order a publish meets them; <c>true</c> where the step lies between the call's start
    /// and the delivery's arrival (the end-to-end latency), false for what comes after (the answer, the record).</summary>
    private static readonly (string Step, bool OnPath)[] Steps =
    [
        (Step.ClientToRequest, true),
        (Step.Authenticate, true),
        (Step.Bind, true),
        (Step.Validate, true),
        (Step.Limits, true),
        (Step.Pipeline, true),
        (Step.WriterWait, true),
        (Step.InsertCommit, true),
        (Step.CommitToSchedule, true),
        (Step.Schedule, false),
        (Step.ScheduleToReturn, false),
        (Step.Respond, false),
        (Step.RequestToClient, false),
        (Step.Wake, true),
        (Step.Claim, true),
        (Step.Read, true),
        (Step.HandOff, true),
        (Step.OpenSecret, true),
        (Step.Sign, true),
        (Step.DeliverToPost, true),
        (Step.PostToArrival, true),
        (Step.ArrivalToResponse, false),
        (Step.Record, false),
        (Step.Ack, false),
    ];

    private static class Step
    {
        public const string ClientToRequest = "Api: client → request span starts (connection, Kestrel)";
        public const string Authenticate = "Api: authenticate API key";
        public const string Bind = "Api: bind request";
        public const string Validate = "Api: validate request";
        public const string Limits = "Api: check publish limits (Redis)";
        public const string Pipeline = "Api: rest of the pipeline before the handler (routing, authorization, FastEndpoints)";
        public const string WriterWait = "Api: group writer's wait";
        public const string InsertCommit = "Api: insert + commit (one statement)";
        public const string CommitToSchedule = "Api: commit → Redis schedule starts";
        public const string Schedule = "Api: Redis schedule (ZADD + wake)";
        public const string ScheduleToReturn = "Api: schedule done → publish returns";
        public const string Respond = "Api: send response";
        public const string RequestToClient = "Api: request span ends → client has the 202";
        public const string Wake = "Dispatcher: wake (schedule sent → claim starts)";
        public const string Claim = "Dispatcher: claim (Redis, in-flight caps)";
        public const string Read = "Dispatcher: read (Postgres)";
        public const string HandOff = "Dispatcher: hand-off to the delivery's task";
        public const string OpenSecret = "Dispatcher: open signing secret (decrypt)";
        public const string Sign = "Dispatcher: sign (body, HMAC)";
        public const string DeliverToPost = "Dispatcher: deliver span → POST starts";
        public const string PostToArrival = "Dispatcher: POST sent → arrival at the receiver";
        public const string ArrivalToResponse = "Dispatcher: arrival → response read";
        public const string Record = "Dispatcher: record attempt (group commit)";
        public const string Ack = "Dispatcher: ack (Redis)";
    }

    private readonly Dictionary<string, List<double>> _samples = Steps.ToDictionary(s => s.Step, _ => new List<double>());
    private readonly List<double> _endToEnd = [];
    private int _events;
    private int _complete;
    private int _spans;

    /// <summary>Waits until the services have exported the run's spans (they batch for half a second), then breaks down
    /// every event that has its request span, its deliver span and an arrival.</summary>
    /// <param name="from">How many spans the receiver held before the run started.</param>
    public static async Task<LatencyBreakdown> CollectAsync(OtlpReceiver traces, int from, PublishedEvents published, Inbox inbox,
        CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
        // Two export intervals without news, once the run's spans have started to come.
        while (Stopwatch.GetTimestamp() < deadline && (traces.Received == from || Environment.TickCount64 - traces.LastReceived < 2_000))
            await Task.Delay(200, ct);
        var breakdown = new LatencyBreakdown();
        breakdown.Add(traces.Since(from), published, inbox);
        return breakdown;
    }

    private void Add(List<TraceSpan> spans, PublishedEvents published, Inbox inbox)
    {
        _spans = spans.Count;
        var byTrace = spans.ToLookup(s => s.TraceId);
        var linkedTo = spans.SelectMany(s => s.Links.Select(l => (l.SpanId, Span: s))).ToLookup(x => x.SpanId, x => x.Span);
        // The Dispatcher's per-claim steps, in time order: a delivery's are the latest to end before its deliver span starts.
        var claims = Ordered(spans, "claim deliveries");
        var reads = Ordered(spans, "read deliveries");
        var arrivals = new Dictionary<Guid, long>();
        foreach (var a in inbox.Arrivals)
            if (!arrivals.TryGetValue(a.EventId, out var t) || a.Ticks < t) arrivals[a.EventId] = a.Ticks;

        foreach (var e in published.Accepted)
        {
            _events++;
            var trace = byTrace[e.Trace].ToList();
            var request = trace.FirstOrDefault(s => s.Kind == SpanKind.Server);
            var deliver = trace.FirstOrDefault(s => s.Name == "deliver");
            if (request is null || deliver is null || !arrivals.TryGetValue(e.Id, out var arrival)) continue;
            _complete++;
            var step = new Dictionary<string, double>();
            TraceSpan? Child(TraceSpan parent, string name) => trace.FirstOrDefault(s => s.ParentId == parent.SpanId && s.Name == name);
            TraceSpan? Named(string name) => trace.FirstOrDefault(s => s.Name == name);
            static double Ms(long from, long to) => TimeSpan.FromTicks(to - from).TotalMilliseconds;

            step[Step.ClientToRequest] = Ms(e.CallStartedTicks, request.StartTicks);
            var auth = Named("authenticate API key");
            var bind = Named("bind request");
            var validate = Named("validate request");
            var limits = Named("check publish limits");
            var publish = Named("publish events");
            var commit = Named("commit events");
            var respond = Named("send response");
            if (auth is not null) step[Step.Authenticate] = auth.DurationMs;
            if (bind is not null) step[Step.Bind] = bind.DurationMs;
            if (validate is not null) step[Step.Validate] = validate.DurationMs;
            if (limits is not null) step[Step.Limits] = limits.DurationMs;
            var handlerStart = limits?.StartTicks ?? publish?.StartTicks;
            if (handlerStart is { } h)
                step[Step.Pipeline] = Ms(request.StartTicks, h) - (auth?.DurationMs ?? 0) - (bind?.DurationMs ?? 0) - (validate?.DurationMs ?? 0);
            var write = commit is null ? null : linkedTo[commit.SpanId].FirstOrDefault(s => s.Name == "write events");
            var schedule = commit is null ? null : linkedTo[commit.SpanId].FirstOrDefault(s => s.Name == "schedule deliveries");
            if (commit is not null && write is not null)
            {
                step[Step.WriterWait] = Ms(commit.StartTicks, write.StartTicks);
                step[Step.InsertCommit] = write.DurationMs;
            }
            if (write is not null && schedule is not null) step[Step.CommitToSchedule] = Ms(write.EndTicks, schedule.StartTicks);
            if (schedule is not null) step[Step.Schedule] = schedule.DurationMs;
            if (schedule is not null && publish is not null) step[Step.ScheduleToReturn] = Ms(schedule.EndTicks, publish.EndTicks);
            if (respond is not null) step[Step.Respond] = respond.DurationMs;
            step[Step.RequestToClient] = Ms(request.EndTicks, e.CallStartedTicks + TimeSpan.FromMilliseconds(e.RoundTripMs).Ticks);

            var read = Latest(reads, deliver.StartTicks);
            var claim = read is null ? null : Latest(claims, read.StartTicks + 1);
            if (claim is not null && schedule is not null) step[Step.Wake] = Ms(schedule.StartTicks, claim.StartTicks);
            if (claim is not null) step[Step.Claim] = claim.DurationMs;
            if (read is not null) step[Step.Read] = read.DurationMs;
            if (read is not null) step[Step.HandOff] = Ms(read.EndTicks, deliver.StartTicks);
            var secret = Child(deliver, "open signing secret");
            var sign = Child(deliver, "sign");
            var post = trace.FirstOrDefault(s => s.Kind == SpanKind.Client && s.ParentId == deliver.SpanId);
            if (secret is not null) step[Step.OpenSecret] = secret.DurationMs;
            if (sign is not null) step[Step.Sign] = sign.DurationMs;
            if (post is not null)
            {
                step[Step.DeliverToPost] = Ms(deliver.StartTicks, post.StartTicks) - (secret?.DurationMs ?? 0) - (sign?.DurationMs ?? 0);
                step[Step.PostToArrival] = Ms(post.StartTicks, arrival);
                step[Step.ArrivalToResponse] = Ms(arrival, post.EndTicks);
            }
            if (Child(deliver, "record attempt") is { } record) step[Step.Record] = record.DurationMs;
            if (Child(deliver, "ack delivery") is { } ack) step[Step.Ack] = ack.DurationMs;

            foreach (var (name, ms) in step) _samples[name].Add(ms);
            _endToEnd.Add(Ms(e.CallStartedTicks, arrival));
        }
    }

    private static List<TraceSpan> Ordered(List<TraceSpan> spans, string name) =>
        spans.Where(s => s.Name == name).OrderBy(s => s.EndTicks).ToList();

    /// <summary>The last span of <paramref name="ordered"/> (by end) to end at or before <paramref name="ticks"/>.</summary>
    private static TraceSpan? Latest(List<TraceSpan> ordered, long ticks)
    {
        int lo = 0, hi = ordered.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (ordered[mid].EndTicks <= ticks) (found, lo) = (mid, mid + 1);
            else hi = mid - 1;
        }
        return found < 0 ? null : ordered[found];
    }

    public string Render(string title)
    {
        var md = new StringBuilder();
        md.AppendLine($"#### {title}");
        md.AppendLine();
        md.AppendLine($"From the services' spans (`--breakdown`): {_complete:N0} of {_events:N0} events traced end to end ({_spans:N0} spans). "
            + $"Publish call → received: {Latency.Of(_endToEnd)}. Medians of steps do not add up to the median end to end; "
            + "\"on the path\" marks the steps between the call's start and the arrival.");
        md.AppendLine();
        md.AppendLine("| step | on the path | p50 ms | p99 ms | n |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var (name, onPath) in Steps)
        {
            var l = Latency.Of(_samples[name]);
            md.AppendLine(l.Count == 0
                ? $"| {name} | {(onPath ? "yes" : "")} | — | — | 0 |"
                : $"| {name} | {(onPath ? "yes" : "")} | {l.P50:0.00} | {l.P99:0.00} | {l.Count:N0} |");
        }
        return md.ToString();
    }

    /// <summary>The numbers, for the JSON file.</summary>
    public object Summary => new
    {
        events = _events, traced = _complete, spans = _spans, callToReceivedMs = Latency.Of(_endToEnd),
        steps = Steps.ToDictionary(s => s.Step, s => Latency.Of(_samples[s.Step])),
    };
}
