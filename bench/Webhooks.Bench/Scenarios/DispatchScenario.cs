using System.Diagnostics;
using System.Net;
using Npgsql;
using Webhooks.Bench.Load;
using Webhooks.Bench.Reporting;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Builds a backlog of M events for one webhook (published in batches) while the endpoint holds every request it gets,
/// unanswered, then opens it and clocks how fast the Dispatcher drains the backlog from the first arrival: as received
/// by the endpoint, and as recorded in Postgres (status success with its attempt row), which is the figure the target
/// is about. Held, the Dispatcher cannot keep pace with the publishing (which would make the figure the publish rate):
/// its slots fill with waiting requests and the rest waits in Redis. Earlier runs stopped the Dispatcher instead and
/// started it again, which clocked a cold process: perf found the JIT using a third of its CPU in that window.
/// </summary>
internal sealed class DispatchScenario : IScenario
{
    private const int PublishBatch = 1000;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StalledAfter = TimeSpan.FromSeconds(15);

    public string Name => "dispatch";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var total = context.Options.DispatchEvents;
        await context.QuietAsync(Name, ct);
        var (tenant, inbox) = await context.TenantAsync("bench-dispatch", "/dispatch", 1, ct);
        var webhookId = await WebhookIdAsync(context.Database, tenant.Id, ct);

        ProgressLine.Say(Name, "holding the endpoint's requests to build a backlog");
        await context.Receiver.HoldAsync(inbox, ct);
        try
        {
            var publishing = Stopwatch.GetTimestamp();
            await PublishAsync(context, tenant, total, ct);
            ProgressLine.Say(Name, $"published {total:N0} events in {Stopwatch.GetElapsedTime(publishing).TotalSeconds:0.0} s; opening the endpoint");
        }
        finally
        {
            await context.Receiver.OpenAsync(inbox, CancellationToken.None);
        }

        using var cpu = context.MeasureCpu(Name);
        var published = Stopwatch.GetTimestamp();

        long recorded = 0;
        DateTime? allRecordedAt = null;
        var lastProgress = Stopwatch.GetTimestamp();
        var lastSeen = (0L, 0L);
        var outcome = "complete";
        await using (ProgressLine.Start(Name, () => $"{inbox.Deliveries,8:N0} received  {Interlocked.Read(ref recorded),8:N0} recorded of {total:N0}"))
        {
            while (true)
            {
                recorded = await CountSucceededAsync(context.Database, webhookId, ct);
                if (recorded >= total)
                {
                    allRecordedAt = TimeProvider.System.GetUtcNow().UtcDateTime;
                    break;
                }
                if ((inbox.Deliveries, recorded) != lastSeen) (lastSeen, lastProgress) = ((inbox.Deliveries, recorded), Stopwatch.GetTimestamp());
                if (inbox.Deliveries == 0 && Stopwatch.GetElapsedTime(published) > context.FirstDeliveryTimeout)
                {
                    outcome = context.NoDeliveries(Name);
                    break;
                }
                if (Stopwatch.GetElapsedTime(lastProgress) > StalledAfter || Stopwatch.GetElapsedTime(published) > context.Options.DispatchTimeout)
                {
                    outcome = $"incomplete: {recorded:N0} of {total:N0} recorded before the scenario's time ran out";
                    break;
                }
                await Task.Delay(Poll, ct);
            }
        }

        var attempts = await CountAttemptsAsync(context.Database, webhookId, ct);
        var first = inbox.FirstArrival;
        var receivedRate = inbox.Deliveries > 1 ? (inbox.Deliveries - 1) / (inbox.LastArrival!.Value - first!.Value).TotalSeconds : 0;
        var recordedRate = first is { } f && recorded > 0 ? recorded / ((allRecordedAt ?? TimeProvider.System.GetUtcNow().UtcDateTime) - f).TotalSeconds : 0;
        context.Report.Details[Name] = new
        {
            events = total, outcome, received = inbox.Deliveries, requests = inbox.Requests, recorded, attempts,
            receivedPerSecond = receivedRate, recordedPerSecond = recordedRate,
        };
        if (inbox.Deliveries == 0)
        {
            context.Report.Add(new Figure(Name, "Dispatch: deliveries/s recorded (success + attempt row)", outcome, "≥ 3,000 deliveries/s", RawLimit(context), null));
            return;
        }
        var note = outcome == "complete" ? "" : $" ({outcome})";
        context.Report.Add(new Figure(Name, $"Dispatch: deliveries/s received at the endpoint ({total:N0} to 1 webhook, {context.Options.CapsLabel})",
            $"{receivedRate:N0} deliveries/s{note}", "≥ 3,000 deliveries/s", RawLimit(context), receivedRate >= 3_000));
        context.Report.Add(new Figure(Name, "Dispatch: deliveries/s recorded in Postgres (success + attempt row)",
            $"{recordedRate:N0} deliveries/s ({attempts:N0} attempt rows){note}", "≥ 3,000 deliveries/s", RawLimit(context),
            outcome == "complete" && recordedRate >= 3_000));
    }

    private static string RawLimit(BenchContext context) =>
        context.RawFlatOut is { } raw ? $"HTTP {raw.RequestsPerSecond:N0} req/s" : "not measured (run `raw`)";

    private static async Task PublishAsync(BenchContext context, Setup.BenchTenant tenant, int total, CancellationToken ct)
    {
        using var client = context.ApiClient(tenant, connections: 2);
        var sizes = Enumerable.Range(0, (total + PublishBatch - 1) / PublishBatch).Select(i => Math.Min(PublishBatch, total - i * PublishBatch));
        await Parallel.ForEachAsync(sizes, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct }, async (size, c) =>
        {
            using var response = await client.PostAsync("/v1/events/batch", Http.Json(Payloads.Batch(size)), c);
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"POST /v1/events/batch answered {await Http.DescribeAsync(response, c)}");
        });
    }

    private static async Task<Guid> WebhookIdAsync(NpgsqlDataSource db, Guid tenantId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT id FROM webhooks WHERE tenant_id = $1 LIMIT 1");
        command.Parameters.AddWithValue(tenantId);
        return (Guid)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<long> CountSucceededAsync(NpgsqlDataSource db, Guid webhookId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND status = 'success'");
        command.Parameters.AddWithValue(webhookId);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<long> CountAttemptsAsync(NpgsqlDataSource db, Guid webhookId, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1");
        command.Parameters.AddWithValue(webhookId);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
