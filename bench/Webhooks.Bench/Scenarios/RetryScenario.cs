using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;
using Webhooks.Bench.Load;
using Webhooks.Bench.Receiving;
using Webhooks.Bench.Reporting;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Retry punctuality: the receiver fails every delivery's first attempt, the retry schedule is one short delay
/// (1 s, plus the Dispatcher's jitter), and each retry's arrival is compared with the time the Dispatcher scheduled it
/// for: <c>deliveries.next_attempt_at</c> as recorded after the first attempt, read from Postgres while it waits.
/// </summary>
internal sealed class RetryScenario : IScenario
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public string Name => "retry";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        await context.QuietAsync(Name, ct);
        var (tenant, inbox) = await context.TenantAsync("bench-retry", "/fail-first/retry", 1, ct);
        using var client = context.ApiClient(tenant, 64);
        var deliveryIds = new ConcurrentBag<Guid>();

        async Task<Outcome> PublishAsync(int index, CancellationToken c)
        {
            using var response = await client.PostAsync("/v1/events", Http.Json(Payloads.Event), c);
            if (response.StatusCode != HttpStatusCode.Accepted) return Outcome.Failed(await Http.DescribeAsync(response, c));
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(c), cancellationToken: c);
            foreach (var delivery in json.RootElement.GetProperty("deliveries").EnumerateArray()) deliveryIds.Add(delivery.GetProperty("id").GetGuid());
            return new Outcome(1);
        }

        var scheduled = new ConcurrentDictionary<Guid, DateTimeOffset>();
        using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var polling = PollScheduledAsync(context.Database, tenant.Id, scheduled, stopPolling.Token);
        LoadResult publish;
        using (context.MeasureCpu(Name))
        {
            var duration = TimeSpan.FromSeconds((double)o.RetryEvents / o.RetryRate);
            publish = await Paced.RunAsync(Name, o.RetryRate, duration, 64, PublishAsync, ct);
            await WaitForRetriesAsync(context, inbox, deliveryIds.Count, ct);
        }
        await stopPolling.CancelAsync();
        await polling;

        var lateness = new List<double>();
        var unscheduled = 0;
        foreach (var retry in inbox.Arrivals.Where(a => a.Attempt == 2))
        {
            if (scheduled.TryGetValue(retry.DeliveryId, out var due)) lateness.Add(TimeSpan.FromTicks(retry.Ticks - due.UtcTicks).TotalMilliseconds);
            else unscheduled++;
        }
        var latency = Latency.Of(lateness);
        // The same lateness at the other end: when the Dispatcher started each retry (the attempt row's started_at),
        // which tells the Dispatcher's share of the lateness from the POST's and the receiver's.
        var started = await RetryStartsAsync(context.Database, tenant.Id, ct);
        var startLateness = Latency.Of(started.Where(s => scheduled.ContainsKey(s.Key))
            .Select(s => (s.Value - scheduled[s.Key]).TotalMilliseconds).ToList());
        context.Report.Details[Name] = new
        {
            events = o.RetryEvents, rate = o.RetryRate, retryDelay = o.RetryDelay.ToString("c"), publish = publish.Summary,
            deliveries = deliveryIds.Count, retried = lateness.Count + unscheduled, scheduledSeen = scheduled.Count, unscheduled,
            lateMs = latency, startedLateMs = startLateness,
        };
        var value = inbox.Deliveries == 0 ? context.NoDeliveries(Name)
            : lateness.Count == 0 ? $"no retry arrived ({inbox.Requests:N0} first attempts seen)"
            : $"p50 {latency.P50:0.0} / p99 {latency.P99:0.0} ms late (max {latency.Max:0.0}, n={latency.Count:N0}"
              + $"{(lateness.Count < deliveryIds.Count ? $" of {deliveryIds.Count:N0}" : "")}); "
              + $"started by the Dispatcher p50 {startLateness.P50:0.0} / p99 {startLateness.P99:0.0} ms late";
        context.Report.Add(new Figure(Name, $"Retry punctuality: retry arrival − scheduled time ({o.RetryRate}/s, {o.RetryDelay.TotalSeconds:0.#} s delay)",
            value, "p99 ≤ 20 ms", Figure.None, lateness.Count == 0 ? null : latency.P99 <= 20 && lateness.Count == deliveryIds.Count));
    }

    /// <summary>Records each delivery's scheduled retry time the first time it is seen waiting for it.</summary>
    private static async Task PollScheduledAsync(NpgsqlDataSource db, Guid tenantId, ConcurrentDictionary<Guid, DateTimeOffset> scheduled, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await using (var command = db.CreateCommand(
                    "SELECT id, next_attempt_at FROM deliveries WHERE tenant_id = $1 AND status = 'retrying' AND next_attempt_at IS NOT NULL"))
                {
                    command.Parameters.AddWithValue(tenantId);
                    await using var reader = await command.ExecuteReaderAsync(ct);
                    while (await reader.ReadAsync(ct)) scheduled.TryAdd(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1));
                }
                await Task.Delay(Poll, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>When each of the tenant's deliveries' second attempt started, as the Dispatcher recorded it.</summary>
    private static async Task<Dictionary<Guid, DateTimeOffset>> RetryStartsAsync(NpgsqlDataSource db, Guid tenantId, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "SELECT a.delivery_id, a.started_at FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.tenant_id = $1 AND a.number = 2");
        command.Parameters.AddWithValue(tenantId);
        var started = new Dictionary<Guid, DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) started[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        return started;
    }

    private static async Task WaitForRetriesAsync(BenchContext context, Inbox inbox, int expected, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var lastChange = started;
        var last = inbox.Requests;
        // Every delivery arrives twice: the failed first attempt and the retry.
        while (inbox.Requests < 2L * expected && Stopwatch.GetElapsedTime(started) < context.Options.DispatchTimeout)
        {
            var quietFor = inbox.Requests == 0 ? context.FirstDeliveryTimeout : context.Options.RetryDelay * 2 + TimeSpan.FromSeconds(5);
            if (Stopwatch.GetElapsedTime(lastChange) > quietFor) return;
            await Task.Delay(100, ct);
            if (inbox.Requests != last) (last, lastChange) = (inbox.Requests, Stopwatch.GetTimestamp());
        }
    }
}
