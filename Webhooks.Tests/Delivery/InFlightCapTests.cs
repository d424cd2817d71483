using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Signing;
using Webhooks.Dispatcher;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

/// <summary>
/// The in-flight caps through the Dispatcher, with a real receiver: a tenant whose endpoints hang holds at most its
/// caps of the Dispatcher's send slots, and another tenant's deliveries arrive meanwhile; the rest wait held, as the
/// <c>webhooks.queue.held</c> gauge shows.
/// </summary>
public sealed class InFlightCapTests(InfrastructureFixture infrastructure)
{
    /// <summary>A receiver whose <c>/slow/…</c> paths hang until released, counting how many of their requests are open
    /// at once, per path and in all; the other paths answer 200 at once.</summary>
    private sealed class SlowReceiver
    {
        private readonly ConcurrentDictionary<string, int> _open = new();
        private int _openSlow;

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ConcurrentDictionary<string, int> MostOpen { get; } = new();
        public int MostOpenSlow;

        public async Task RespondAsync(Microsoft.AspNetCore.Http.HttpContext context, ReceivedRequest request)
        {
            if (!request.Path.StartsWith("/slow/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 200;
                return;
            }
            var open = _open.AddOrUpdate(request.Path, 1, (_, n) => n + 1);
            MostOpen.AddOrUpdate(request.Path, open, (_, n) => Math.Max(n, open));
            var all = Interlocked.Increment(ref _openSlow);
            InterlockedMax(ref MostOpenSlow, all);
            try
            {
                await Release.Task.WaitAsync(TimeSpan.FromMinutes(2), context.RequestAborted);
                context.Response.StatusCode = 200;
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref _openSlow);
                _open.AddOrUpdate(request.Path, 0, (_, n) => n - 1);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
                if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
        }
    }

    [Fact]
    public async Task A_tenant_whose_endpoints_hang_holds_only_its_caps_and_another_tenants_deliveries_arrive_meanwhile()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var slow = new SlowReceiver();
        receiver.Respond = slow.RespondAsync;
        // Eight send slots: without the caps the slow tenant's 40 deliveries would take them all until released.
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(
            ("Webhooks:Delivery:MaxConcurrency", "8"),
            ("Webhooks:Delivery:MaxInFlightPerWebhook", "2"),
            ("Webhooks:Delivery:MaxInFlightPerTenant", "3"),
            ("Webhooks:Delivery:RequestTimeout", "00:02:00")), TestOutputLogger.Services());
        using var held = new MetricCollector<long>(stack.DispatcherServices.GetRequiredService<IMeterFactory>(), DispatcherTelemetry.Name,
            "webhooks.queue.held");
        var noisy = await Seed.TenantAsync(stack, "Noisy");
        var quiet = await Seed.TenantAsync(stack, "Quiet");
        var slowHooks = new[]
        {
            await Seed.WebhookAsync(stack, noisy, receiver.Url("/slow/1"), ["sale.created"]),
            await Seed.WebhookAsync(stack, noisy, receiver.Url("/slow/2"), ["sale.created"]),
        };
        var quietHook = await Seed.WebhookAsync(stack, quiet, receiver.Url("/quiet"), ["sale.created"]);

        var slowIds = new List<Guid>();
        for (var i = 0; i < 20; i++) slowIds.AddRange((await Publish.EventAsync(stack, noisy, slowHooks)).DeliveryIds);
        await Eventually.True(() => Task.FromResult(slow.MostOpenSlow >= 3), "the slow tenant to fill its cap");

        var quietIds = new List<Guid>();
        for (var i = 0; i < 10; i++) quietIds.AddRange((await Publish.EventAsync(stack, quiet, quietHook)).DeliveryIds);

        var delivered = await Publish.AllFinalAsync(stack, quietIds);
        Assert.All(delivered, d => Assert.Equal(DeliveryStatus.Success, d.Status));
        Assert.False(slow.Release.Task.IsCompleted);
        Assert.Equal(3, slow.MostOpenSlow);
        Assert.All(slow.MostOpen.Values, n => Assert.InRange(n, 1, 2));
        // All but the three in flight wait held (the gauge shows the sampler's last look, every 2 s).
        await Eventually.True(() => Task.FromResult(LastHeld(held) == slowIds.Count - 3), "the held gauge to count the slow tenant's backlog");

        slow.Release.SetResult();
        var slowDeliveries = await Publish.AllFinalAsync(stack, slowIds, TimeSpan.FromSeconds(60));
        Assert.All(slowDeliveries, d => Assert.Equal(DeliveryStatus.Success, d.Status));
        Assert.Equal(3, slow.MostOpenSlow);
        Assert.All(slow.MostOpen.Values, n => Assert.InRange(n, 1, 2));
        var received = receiver.Received.Where(r => r.Path.StartsWith("/slow/", StringComparison.Ordinal))
            .Select(r => Guid.Parse(r.Headers[WebhookHeaders.StandardId])).Distinct().Order();
        Assert.Equal(slowIds.Order(), received);
        await Publish.AckedAsync(stack, slowIds);
        await Eventually.True(() => Task.FromResult(LastHeld(held) == 0), "the held gauge to read 0");
    }

    private static long? LastHeld(MetricCollector<long> held)
    {
        held.RecordObservableInstruments();
        return held.LastMeasurement?.Value;
    }

    [Fact]
    public async Task Every_request_under_the_caps_reaches_the_endpoint_at_once_none_waits_for_a_pooled_connection()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var slow = new SlowReceiver();
        receiver.Respond = slow.RespondAsync;
        // More than the 64 connections per server the client used to allow: those over it waited in the client with
        // their timeout running, and were recorded as timeouts without ever being sent.
        const int hanging = 80;
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(
            ("Webhooks:Delivery:MaxInFlightPerWebhook", "100"),
            ("Webhooks:Delivery:MaxInFlightPerTenant", "100"),
            ("Webhooks:Delivery:RequestTimeout", "00:02:00")), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/slow/1"), ["sale.created"]);

        var ids = new List<Guid>();
        for (var i = 0; i < hanging; i++) ids.AddRange((await Publish.EventAsync(stack, tenant, webhook)).DeliveryIds);

        await Eventually.True(() => Task.FromResult(slow.MostOpenSlow == hanging), $"all {hanging} requests open at the endpoint at once");
        slow.Release.SetResult();
        Assert.All(await Publish.AllFinalAsync(stack, ids), d => Assert.Equal(DeliveryStatus.Success, d.Status));
    }
}
