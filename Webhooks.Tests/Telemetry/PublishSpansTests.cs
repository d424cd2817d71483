using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Webhooks.Api;
using Webhooks.Dispatcher;
using Webhooks.Tests.Delivery;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Telemetry;

/// <summary>
/// Each step of a publish and of its delivery leaves a span of the service's own source, named for the step, in the
/// publish's trace or linked to it: what the dashboard's traces show and what the bench's latency breakdown
/// (<c>./bench.sh --only latency --breakdown</c>) finds by name.
/// </summary>
public sealed class PublishSpansTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_publish_and_its_delivery_leave_a_span_for_each_step_in_the_publish_trace_or_linked_to_it()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is ApiTelemetry.Name or DispatcherTelemetry.Name or "Microsoft.AspNetCore" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/spans"), ["sale.created"]);
        using var client = stack.CreateClient(tenant.OwnerApiKey);
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = JsonContent.Create(new { type = "sale.created", data = new { saleId = "S-1", total = "1.00", currency = "EUR" } }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        (await client.SendAsync(request, Ct)).EnsureSuccessStatusCode();

        await Eventually.True(() => Task.FromResult(spans.Any(s => s.TraceId == traceId && s.OperationName == "ack delivery")),
            "the delivery's ack span");
        var trace = spans.Where(s => s.TraceId == traceId).ToList();
        Activity Single(string name) => Assert.Single(trace, s => s.OperationName == name);

        var api = new[] { "authenticate API key", "bind request", "validate request", "check publish limits", "publish events", "commit events", "send response" };
        Assert.All(api, name => Assert.Equal(ApiTelemetry.Name, Single(name).Source.Name));
        Assert.Equal(Single("publish events").SpanId, Single("commit events").ParentSpanId);
        // The group writer serves many requests at once: its steps are linked to each request's commit.
        var commit = Single("commit events");
        foreach (var shared in new[] { "write events", "schedule deliveries" })
            Assert.Contains(spans, s => s.OperationName == shared && s.Links.Any(l => l.Context.SpanId == commit.SpanId));

        var deliver = Single("deliver");
        Assert.Equal(Single("publish events").SpanId, deliver.ParentSpanId); // the trace parent stored with the event
        foreach (var step in new[] { "open signing secret", "sign", "record attempt", "ack delivery" })
            Assert.Equal(deliver.SpanId, Single(step).ParentSpanId);
        Assert.Contains(trace, s => s.Kind == ActivityKind.Client && s.ParentSpanId == deliver.SpanId); // the POST itself
        // A claim serves many deliveries: its steps stand alone, before the delivery starts.
        foreach (var claimStep in new[] { "claim deliveries", "read deliveries" })
            Assert.Contains(spans, s => s.OperationName == claimStep && s.Source.Name == DispatcherTelemetry.Name
                && s.StartTimeUtc + s.Duration <= deliver.StartTimeUtc);
    }
}
