using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.FairSharing;

/// <summary>
/// DESIGN.md "Fair sharing", through the real processes (an Api and a Dispatcher of their own, publishing over HTTP, a
/// real receiver): a tenant whose endpoints answer 200 only after a couple of seconds, fed steadily, beside a quiet
/// tenant publishing steadily. The quiet tenant's deliveries all arrive within seconds, and the slow tenant never has
/// more requests open at once than its caps allow, per webhook or across its webhooks.
/// </summary>
/// <remarks>The Dispatcher gets 12 send slots (default 256), so that the caps are what stands between the slow tenant
/// and every slot. Seen with the caps set huge (10000 / 100000): the slow backlog took all 12 slots (12 requests open at
/// the one webhook; 12 across the six), and the quiet tenant's events queued behind it, arriving 11–25 s after their
/// publish with one slow webhook and 17–41 s with six. With the caps, the slowest took 130–200 ms.</remarks>
public sealed class SlowTenantTests(InfrastructureFixture infrastructure)
{
    private const int PerWebhook = 4;
    private const int PerTenant = 8;
    private const int QuietEvents = 20;
    private static readonly TimeSpan AnswerAfter = TimeSpan.FromSeconds(2);

    /// <summary>Loose on purpose: a quiet delivery takes milliseconds on an idle box, but the CI box is shared.</summary>
    private static readonly TimeSpan QuietDeadline = TimeSpan.FromSeconds(10);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Webhooks:Delivery:MaxConcurrency"] = "12",
        ["Webhooks:Delivery:MaxInFlightPerWebhook"] = $"{PerWebhook}",
        ["Webhooks:Delivery:MaxInFlightPerTenant"] = $"{PerTenant}",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Beside_a_slow_tenant_with_one_webhook_every_quiet_delivery_arrives_within_seconds_and_the_webhook_never_exceeds_its_cap()
    {
        // 20 events/s against what 4 slots of 2 s can send (2/s): its backlog grows all along.
        var (slow, quiet) = await RunBesideSlowTenantAsync(slowWebhooks: 1, slowEventsPerSecond: 20);

        Assert.All(slow.MostOpen, open => Assert.InRange(open.Value, 1, PerWebhook));
        Assert.InRange(slow.MostOpenAll, 1, PerWebhook);
        AssertOnTime(quiet);
    }

    [Fact]
    public async Task Beside_a_slow_tenant_with_six_webhooks_every_quiet_delivery_arrives_within_seconds_and_neither_cap_is_exceeded()
    {
        // Each event fans out to all six: 24 deliveries/s against what 8 slots of 2 s can send (4/s).
        var (slow, quiet) = await RunBesideSlowTenantAsync(slowWebhooks: 6, slowEventsPerSecond: 4);

        Assert.All(slow.MostOpen, open => Assert.InRange(open.Value, 1, PerWebhook));
        Assert.InRange(slow.MostOpenAll, 1, PerTenant);
        AssertOnTime(quiet);
    }

    private static void AssertOnTime(IReadOnlyList<TimeSpan> quiet)
    {
        var late = quiet.Where(took => took > QuietDeadline).ToList();
        Assert.True(late.Count == 0, $"{late.Count} of {quiet.Count} quiet events arrived later than {QuietDeadline.TotalSeconds} s after " +
                                     $"their publish: {string.Join(", ", late.Select(took => $"{took.TotalSeconds:F1} s"))}");
    }

    /// <summary>Feeds the slow tenant until it has as many requests open as its caps allow, then publishes the quiet
    /// tenant's events, 2 a second, while the slow feed goes on, and waits until they have all arrived.</summary>
    /// <returns>What the slow endpoints saw, and how long after its publish began each quiet event arrived.</returns>
    private async Task<(SlowEndpoints Slow, IReadOnlyList<TimeSpan> Quiet)> RunBesideSlowTenantAsync(int slowWebhooks, int slowEventsPerSecond)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var slow = new SlowEndpoints(AnswerAfter);
        receiver.Respond = (context, request) =>
        {
            if (request.Path.StartsWith(SlowEndpoints.PathPrefix, StringComparison.Ordinal)) return slow.RespondAsync(context, request);
            context.Response.StatusCode = 200;
            return Task.CompletedTask;
        };
        await using var stack = await ProcessStack.StartAsync(infrastructure, Settings);
        using var slowTenant = stack.CreateApiClient(await stack.NewTenantAsync("Slow"));
        using var quietTenant = stack.CreateApiClient(await stack.NewTenantAsync("Quiet"));
        for (var i = 1; i <= slowWebhooks; i++)
            await ProcessStack.NewWebhookAsync(slowTenant, receiver.Url($"{SlowEndpoints.PathPrefix}{i}"), "sale.created");
        await ProcessStack.NewWebhookAsync(quietTenant, receiver.Url("/quiet"), "sale.created");

        using var stopSlowFeed = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var slowFeed = FeedAsync(slowTenant, slowEventsPerSecond, int.MaxValue, stopSlowFeed.Token);
        Dictionary<Guid, DateTimeOffset> quiet, arrivals;
        try
        {
            var fills = Math.Min(slowWebhooks * PerWebhook, PerTenant);
            await Eventually.True(() => Task.FromResult(slow.MostOpenAll >= fills), $"the slow tenant to have {fills} requests open at once");

            var answeredBefore = slow.Answered;
            quiet = await FeedAsync(quietTenant, 2, QuietEvents, Ct);
            arrivals = await Eventually.Get(() => Task.FromResult(ArrivalsAt(receiver, "/quiet")),
                arrived => quiet.Keys.All(arrived.ContainsKey), $"all {QuietEvents} quiet events to arrive", TimeSpan.FromMinutes(2));
            Assert.True(slow.Answered > answeredBefore, "the slow tenant was not sent to while the quiet tenant published");
        }
        finally
        {
            await stopSlowFeed.CancelAsync();
        }
        await slowFeed;

        var took = quiet.Select(e => arrivals[e.Key] - e.Value).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"quiet: slowest {took.Max().TotalMilliseconds:F0} ms; slow: {slow.Answered} answered, " +
            $"most open at once {slow.MostOpenAll} ({string.Join(", ", slow.MostOpen.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))})");
        return (slow, took);
    }

    /// <summary>Publishes <paramref name="perSecond"/> events a second, up to <paramref name="count"/>, until stopped.</summary>
    /// <returns>When each accepted event's publish began, by event id.</returns>
    private static async Task<Dictionary<Guid, DateTimeOffset>> FeedAsync(HttpClient tenant, int perSecond, int count, CancellationToken stop)
    {
        var published = new Dictionary<Guid, DateTimeOffset>();
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / perSecond));
        try
        {
            for (var n = 0; n < count && await pace.WaitForNextTickAsync(stop); n++)
            {
                var at = DateTimeOffset.UtcNow;
                var response = await tenant.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { n } }, stop);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                published[Guid.Parse((string)(await response.Content.ReadFromJsonAsync<JsonObject>(stop))!["id"]!)] = at;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !Ct.IsCancellationRequested)
        {
        }
        return published;
    }

    /// <summary>When each event first arrived at the path, by event id.</summary>
    private static Dictionary<Guid, DateTimeOffset> ArrivalsAt(TestReceiver receiver, string path) =>
        receiver.ReceivedAt(path).GroupBy(r => Guid.Parse((string)JsonNode.Parse(r.Body)!["id"]!))
            .ToDictionary(g => g.Key, g => g.Min(r => r.ReceivedAt));

    /// <summary>Endpoints under <see cref="PathPrefix"/> that answer 200 after a while, counting the requests open at
    /// once per path (one path per webhook) and in all, and keeping the most seen.</summary>
    private sealed class SlowEndpoints(TimeSpan answerAfter)
    {
        public const string PathPrefix = "/slow/";
        private readonly ConcurrentDictionary<string, int> _open = new();
        private int _openAll;
        private int _mostOpenAll;
        private int _answered;

        public ConcurrentDictionary<string, int> MostOpen { get; } = new();
        public int MostOpenAll => Volatile.Read(ref _mostOpenAll);
        public int Answered => Volatile.Read(ref _answered);

        public async Task RespondAsync(HttpContext context, ReceivedRequest request)
        {
            var open = _open.AddOrUpdate(request.Path, 1, (_, n) => n + 1);
            MostOpen.AddOrUpdate(request.Path, open, (_, most) => Math.Max(most, open));
            var all = Interlocked.Increment(ref _openAll);
            for (var most = MostOpenAll; all > most; most = MostOpenAll)
                if (Interlocked.CompareExchange(ref _mostOpenAll, all, most) == most) break;
            try
            {
                await Task.Delay(answerAfter, context.RequestAborted);
                context.Response.StatusCode = 200;
                Interlocked.Increment(ref _answered);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                // Counted closed before the answer leaves: the Dispatcher can send the next request only after it has
                // this answer, so the count never runs ahead of what the Dispatcher has open.
                Interlocked.Decrement(ref _openAll);
                _open.AddOrUpdate(request.Path, 0, (_, n) => n - 1);
            }
        }
    }
}
