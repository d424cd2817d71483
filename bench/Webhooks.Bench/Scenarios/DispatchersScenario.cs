using System.Diagnostics;
using System.Net;
using Webhooks.Bench.Hosting;
using Webhooks.Bench.Load;
using Webhooks.Bench.Receiving;
using Webhooks.Bench.Reporting;
using Webhooks.Bench.Setup;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Scale-out (issue 16): how dispatch grows with 1, 2 and 3 Dispatchers sharing one Postgres and one Redis. Extra
/// Dispatchers are started beside the AppHost's (<see cref="ExtraDispatcher"/>), one per step, so the Api, Postgres
/// and Redis stay up and warm. Each step builds a backlog while the receiver holds its requests (as the dispatch
/// scenario does), opens it, and clocks deliveries/s received, twice: against a receiver that answers at once, where
/// the box's two cores are the limit, and against one that answers after <see cref="BenchOptions.DispatchersSlowDelay"/>,
/// where one process' send slots are (<c>MaxConcurrency</c> 256 / 0.2 s = 1,280 deliveries/s per Dispatcher). The load
/// is spread over <see cref="Tenants"/> tenants of one webhook each, so the in-flight caps (64 per webhook) leave
/// 1,024 slots, more than three Dispatchers' 768: the caps do not bind, the processes do.
/// </summary>
internal sealed class DispatchersScenario : IScenario
{
    public const int Tenants = 16;
    private const int MaxDispatchers = 3;
    private const int PublishBatch = 500;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public string Name => "dispatchers";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        await context.QuietAsync(Name, ct);
        var tenants = new List<BenchTenant>();
        Inbox inbox = null!;
        for (var i = 0; i < Tenants; i++)
        {
            (var tenant, inbox) = await context.TenantAsync($"bench-dispatchers-{i}", "/dispatchers", 1, ct);
            tenants.Add(tenant);
        }

        var receivers = new[] { ("fast", TimeSpan.Zero), ("slow", o.DispatchersSlowDelay) };
        var rates = receivers.ToDictionary(r => r.Item1, _ => new List<double>());
        var extras = new List<ExtraDispatcher>();
        using var cpu = context.MeasureCpu(Name);
        try
        {
            for (var dispatchers = 1; dispatchers <= MaxDispatchers; dispatchers++)
            {
                while (extras.Count < dispatchers - 1)
                {
                    ProgressLine.Say(Name, $"starting Dispatcher {extras.Count + 2}");
                    extras.Add(await ExtraDispatcher.StartAsync(extras.Count + 2, ct));
                }
                foreach (var (receiver, delay) in receivers)
                {
                    // The receiver runs in a process of its own: the delay is set there, not on this copy of the inbox.
                    await context.Receiver.SetDelayAsync(inbox, delay, ct);
                    var label = $"{Name} {dispatchers}× {receiver}";
                    var rate = await DrainAsync(context, label, tenants, inbox, o.DispatchersEvents, ct);
                    rates[receiver].Add(rate);
                    ProgressLine.Say(Name, $"{dispatchers} Dispatcher(s), {receiver} receiver: {rate:N0} deliveries/s");
                }
            }
        }
        finally
        {
            await context.Receiver.SetDelayAsync(inbox, TimeSpan.Zero, CancellationToken.None);
            foreach (var extra in extras) await extra.DisposeAsync();
        }

        context.Report.Details[Name] = new { tenants = Tenants, events = o.DispatchersEvents, slowDelayMs = o.DispatchersSlowDelay.TotalMilliseconds, rates };
        string Row(List<double> r) => string.Join(" / ", r.Select(x => $"{x:N0}")) + " deliveries/s";
        context.Report.Add(new Figure(Name, $"Dispatch with 1 / 2 / 3 Dispatchers, fast receiver ({Tenants} tenants)",
            Row(rates["fast"]), Figure.None, "the box's 2 cores", null));
        context.Report.Add(new Figure(Name,
            $"Dispatch with 1 / 2 / 3 Dispatchers, receiver answering after {o.DispatchersSlowDelay.TotalMilliseconds:0} ms",
            Row(rates["slow"]), Figure.None, $"256 slots / {o.DispatchersSlowDelay.TotalSeconds:0.0} s = {256 / o.DispatchersSlowDelay.TotalSeconds:N0}/s per Dispatcher", null));
    }

    /// <summary>Publishes a backlog while the receiver holds its requests, opens it, and clocks the arrivals.</summary>
    /// <returns>Deliveries/s received, from the first arrival to the last.</returns>
    private static async Task<double> DrainAsync(BenchContext context, string label, List<BenchTenant> tenants, Inbox inbox,
        int events, CancellationToken ct)
    {
        await context.QuietAsync(label, ct);
        var before = inbox.Requests;
        var delivered = inbox.Deliveries;
        await context.Receiver.HoldAsync(inbox, ct);
        try
        {
            await PublishAsync(context, tenants, events, ct);
        }
        finally
        {
            await context.Receiver.OpenAsync(inbox, CancellationToken.None);
        }
        var started = Stopwatch.GetTimestamp();
        await using (ProgressLine.Start(label, () => $"{inbox.Deliveries - delivered,8:N0} received of {events:N0}"))
        {
            while (inbox.Deliveries - delivered < events)
            {
                if (Stopwatch.GetElapsedTime(started) > context.Options.DispatchTimeout)
                    throw new TimeoutException($"{label}: {inbox.Deliveries - delivered:N0} of {events:N0} arrived in {context.Options.DispatchTimeout.TotalSeconds:0} s");
                await Task.Delay(Poll, ct);
            }
        }
        var arrivals = inbox.Arrivals.Skip((int)before).Where(a => a.Attempt == 1).Select(a => a.Ticks).ToList();
        return (arrivals.Count - 1) / TimeSpan.FromTicks(arrivals.Max() - arrivals.Min()).TotalSeconds;
    }

    /// <summary>The backlog, spread evenly over the tenants, in batches.</summary>
    private static async Task PublishAsync(BenchContext context, List<BenchTenant> tenants, int events, CancellationToken ct)
    {
        var perTenant = (events + tenants.Count - 1) / tenants.Count;
        var requests = tenants.SelectMany(tenant => Enumerable.Range(0, (perTenant + PublishBatch - 1) / PublishBatch)
            .Select(i => (tenant, size: Math.Min(PublishBatch, perTenant - i * PublishBatch)))).ToList();
        var clients = tenants.ToDictionary(t => t.Id, t => context.ApiClient(t, connections: 1));
        try
        {
            await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (request, c) =>
            {
                using var response = await clients[request.tenant.Id].PostAsync("/v1/events/batch", Http.Json(Payloads.Batch(request.size)), c);
                if (response.StatusCode != HttpStatusCode.Accepted)
                    throw new InvalidOperationException($"POST /v1/events/batch answered {await Http.DescribeAsync(response, c)}");
            });
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }
    }
}
