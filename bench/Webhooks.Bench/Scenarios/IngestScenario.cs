using System.Net;
using Webhooks.Bench.Load;
using Webhooks.Bench.Reporting;

namespace Webhooks.Bench.Scenarios;

/// <summary>
/// Publishing flat out: <c>POST /v1/events</c> from many clients, or <c>POST /v1/events/batch</c> from a few. Every
/// event matches <c>--ingest-fanout</c> webhooks (default 1), so each accepted event also writes and schedules that
/// many deliveries, and the Dispatcher sends them meanwhile: the figure is with everything running on the box.
/// </summary>
internal sealed class IngestScenario(bool batch) : IScenario
{
    public string Name => batch ? "ingest-batch" : "ingest-single";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var o = context.Options;
        await context.QuietAsync(Name, ct);
        var (tenant, _) = await context.TenantAsync("bench-ingest", "/ingest", o.IngestFanOut, ct);
        var clients = batch ? o.BatchConcurrency : o.IngestConcurrency;
        var body = batch ? Payloads.Batch(o.BatchSize) : Payloads.Event;
        var route = batch ? "/v1/events/batch" : "/v1/events";
        var events = batch ? o.BatchSize : 1;
        using var client = context.ApiClient(tenant, clients);

        async Task<Outcome> PublishAsync(CancellationToken c)
        {
            using var response = await client.PostAsync(route, Http.Json(body), c);
            return response.StatusCode == HttpStatusCode.Accepted ? new Outcome(events) : Outcome.Failed(await Http.DescribeAsync(response, c));
        }

        LoadResult result;
        var cpuStart = context.CpuSecondsNow();
        using (context.MeasureCpu(Name))
            result = await FlatOut.RunAsync(Name, "events", clients, o.IngestDuration, PublishAsync, ct);
        // Per event published and delivered: the Dispatcher's backlog is part of each event's cost.
        var drained = await context.QuietAsync(Name, ct);
        var cpu = PipelineCpu.Between(cpuStart, context.CpuSecondsNow(), result.Items);

        context.Report.Details[Name] = new
        {
            result = result.Summary, clients, eventsPerRequest = events, webhooksPerEvent = o.IngestFanOut, pipelineCpu = cpu.Summary,
            drained,
        };
        var shape = batch ? $"{events} events/request, {clients} clients" : $"{clients} clients";
        var perSecond = result.ItemsPerSecond;
        var target = batch ? 20_000 : 3_000;
        context.Report.Add(new Figure(Name,
            $"Ingest, {(batch ? "batch" : "single")}: `POST {route}` ({shape}, {o.IngestFanOut} webhook/event)",
            $"{perSecond:N0} events/s (request p50 {result.Latency.P50:0.0} / p99 {result.Latency.P99:0.0} ms){result.ErrorSuffix}",
            $"≥ {target:N0} events/s",
            batch
                ? "Postgres: 100-row INSERTs 20–28k rows/s, COPY ~100k rows/s¹"
                : $"HTTP {context.RawFlatOut?.RequestsPerSecond.ToString("N0") ?? "?"} req/s; Postgres 1-row INSERT 3.4k (1 client)–6.5k (8) tps¹",
            result.Errors == 0 && result.Items > 0 ? perSecond >= target : false));
        context.Report.Add(cpu.Row(Name, $"ingest {(batch ? "batch" : "single")}, {o.IngestFanOut} webhook/event, until delivered",
            drained ? null : "; the queue had not emptied: deliveries left out"));
    }
}
