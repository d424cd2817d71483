using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using StandardWebhooks;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Signing;
using Webhooks.Dispatcher;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

/// <summary>The Dispatcher end to end: real Postgres, Redis and a real HTTP receiver; deliveries published as the Api does.</summary>
public abstract class DeliveryTests(InfrastructureFixture infrastructure, RedisBackend backend)
{
    public sealed class Standalone(InfrastructureFixture infrastructure) : DeliveryTests(infrastructure, RedisBackend.Standalone);

    public sealed class Cluster(InfrastructureFixture infrastructure) : DeliveryTests(infrastructure, RedisBackend.Cluster);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_delivery_arrives_with_the_documented_headers_and_both_signatures_verify()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services(), redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/a"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);

        var request = (await Eventually.Get(() => Task.FromResult(receiver.ReceivedAt("/hooks/a")), r => r.Count > 0, "the delivery")).Single();
        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);
        var headers = request.Headers;
        Assert.Equal("POST", request.Method);
        Assert.Equal("application/json", headers["Content-Type"]);
        Assert.Equal("Webhooks/1.0", headers["User-Agent"]);
        Assert.Equal("sale.created", headers[WebhookHeaders.Event]);
        Assert.Equal(published.DeliveryId.ToString(), headers[WebhookHeaders.Delivery]);
        Assert.Equal(published.DeliveryId.ToString(), headers[WebhookHeaders.StandardId]);
        Assert.Equal(headers[WebhookHeaders.Timestamp], headers[WebhookHeaders.StandardTimestamp]);
        Assert.InRange(long.Parse(headers[WebhookHeaders.Timestamp]), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal(published.EventId.ToString(), json.RootElement.GetProperty("id").GetString());
        Assert.Equal("sale.created", json.RootElement.GetProperty("type").GetString());
        // The event's own creation time (stamped by the Api's publisher, after the test's PublishedAt).
        await using (var events = stack.CreateDbContext())
        {
            var createdAt = await events.Events.AsNoTracking().Where(e => e.Id == published.EventId).Select(e => e.CreatedAt).SingleAsync(Ct);
            Assert.Equal(createdAt.ToUnixTimeMilliseconds(), json.RootElement.GetProperty("timestamp").GetDateTimeOffset().ToUnixTimeMilliseconds());
        }
        Assert.EndsWith("Z", json.RootElement.GetProperty("timestamp").GetString());
        Assert.Equal("café ☕", json.RootElement.GetProperty("data").GetProperty("note").GetString());
        Assert.Equal(42.5m, json.RootElement.GetProperty("data").GetProperty("total").GetDecimal());

        // Classic: computed here independently of the Dispatcher's signer.
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(webhook.Secret),
            Encoding.UTF8.GetBytes(request.Body)));
        Assert.Equal(expected, headers[WebhookHeaders.Signature]);
        // Standard Webhooks: verified by the independent library, as a receiver would.
        new StandardWebhook(webhook.Secret).Verify(request.Body, new HeaderDictionary(headers.ToDictionary(h => h.Key, h => new Microsoft.Extensions.Primitives.StringValues(h.Value))));

        Assert.Equal(DeliveryStatus.Success, delivery.Status);
        Assert.Equal(1, delivery.AttemptCount);
        Assert.Null(delivery.NextAttemptAt);
        Assert.NotNull(delivery.CompletedAt);
        var attempt = Assert.Single(await Publish.AttemptsAsync(stack, published.DeliveryId));
        Assert.Equal(1, attempt.Number);
        Assert.Equal(200, attempt.ResponseStatus);
        Assert.Null(attempt.Error);
        Assert.InRange(attempt.DurationMs, 0, 5000);
        Assert.Equal("[redacted]", attempt.RequestHeaders[WebhookHeaders.Signature]);
        Assert.Equal("[redacted]", attempt.RequestHeaders[WebhookHeaders.StandardSignature]);
        Assert.Equal(published.DeliveryId.ToString(), attempt.RequestHeaders[WebhookHeaders.StandardId]);
        Assert.DoesNotContain(attempt.RequestHeaders.Values, v => v.Contains(headers[WebhookHeaders.Signature]));
        Assert.NotNull(attempt.ResponseHeaders);

        await using var db = stack.CreateDbContext();
        var health = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhook.WebhookId, Ct);
        Assert.Equal(0, health.ConsecutiveFailures);
        Assert.NotNull(health.LastSuccessAt);
        await Publish.AckedAsync(stack, published.DeliveryIds);
    }

    [Fact]
    public async Task During_a_secret_rotation_both_secrets_sign_until_the_grace_period_ends()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services(), redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var rotating = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/rotating"), ["sale.created"]);
        var expired = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/expired"), ["sale.created"]);
        var newSecret = Core.Secrets.WebhookSecret.Generate();
        var protector = stack.ApiServices.GetRequiredService<Core.Secrets.SecretProtector>();
        await using (var db = stack.CreateDbContext())
        {
            // What rotate-secret does: the old secret becomes the previous one, live until its grace period ends.
            foreach (var (webhook, expiresAt) in new[] { (rotating, DateTimeOffset.UtcNow.AddHours(1)), (expired, DateTimeOffset.UtcNow.AddMinutes(-1)) })
            {
                await db.Webhooks.Where(w => w.Id == webhook.WebhookId).ExecuteUpdateAsync(s => s
                    .SetProperty(w => w.PreviousSecretCiphertext, protector.Protect(webhook.Secret))
                    .SetProperty(w => w.PreviousSecretExpiresAt, expiresAt)
                    .SetProperty(w => w.SecretCiphertext, protector.Protect(newSecret)), Ct);
            }
        }

        var published = await Publish.EventAsync(stack, tenant, [rotating, expired]);

        await Publish.AllFinalAsync(stack, published.DeliveryIds);
        var during = receiver.ReceivedAt("/hooks/rotating").Single();
        var signatures = during.Headers[WebhookHeaders.StandardSignature].Split(' ');
        Assert.Equal(2, signatures.Length);
        new StandardWebhook(newSecret).Verify(during.Body, Headers(during, signatures[0]));
        new StandardWebhook(rotating.Secret).Verify(during.Body, Headers(during, signatures[1]));
        Assert.Equal(Core.Signing.WebhookSigner.ClassicSignature(Encoding.UTF8.GetBytes(during.Body), newSecret), during.Headers[WebhookHeaders.Signature]);

        var after = receiver.ReceivedAt("/hooks/expired").Single();
        Assert.DoesNotContain(" ", after.Headers[WebhookHeaders.StandardSignature]);
        new StandardWebhook(newSecret).Verify(after.Body, Headers(after, after.Headers[WebhookHeaders.StandardSignature]));
    }

    [Fact]
    public async Task The_outgoing_post_continues_the_trace_of_the_publish_request()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services(), redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/traced"), ["sale.created"]);
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom();
        var publishSpan = System.Diagnostics.ActivitySpanId.CreateRandom();

        var published = await Publish.EventAsync(stack, tenant, webhook, traceParent: $"00-{traceId}-{publishSpan}-01");

        await Publish.FinalAsync(stack, published.DeliveryId);
        var request = receiver.ReceivedAt("/hooks/traced").Single();
        Assert.StartsWith($"00-{traceId}-", request.Headers["traceparent"]);
        Assert.DoesNotContain(publishSpan.ToString(), request.Headers["traceparent"]);
    }

    private static HeaderDictionary Headers(ReceivedRequest request, string signature)
    {
        var headers = new HeaderDictionary(request.Headers.ToDictionary(h => h.Key, h => new Microsoft.Extensions.Primitives.StringValues(h.Value)));
        headers[WebhookHeaders.StandardSignature] = signature;
        return headers;
    }

    [Fact]
    public async Task Attempts_are_counted_and_timed_by_outcome_and_the_queue_gauges_report()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = (context, _) =>
        {
            context.Response.StatusCode = context.Request.Path == "/hooks/ok" ? 200 : 500;
            return Task.CompletedTask;
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.Settings([50]), TestOutputLogger.Services(), redis: backend);
        var meters = stack.DispatcherServices.GetRequiredService<IMeterFactory>();
        using var attemptsCounter = new MetricCollector<long>(meters, DispatcherTelemetry.Name, "webhooks.delivery.attempts");
        using var duration = new MetricCollector<double>(meters, DispatcherTelemetry.Name, "webhooks.delivery.duration");
        using var inFlight = new MetricCollector<long>(meters, DispatcherTelemetry.Name, "webhooks.delivery.in_flight");
        using var due = new MetricCollector<long>(meters, DispatcherTelemetry.Name, "webhooks.queue.due");
        using var lag = new MetricCollector<double>(meters, DispatcherTelemetry.Name, "webhooks.queue.lag");
        using var scheduled = new MetricCollector<long>(meters, DispatcherTelemetry.Name, "webhooks.queue.scheduled");
        var tenant = await Seed.TenantAsync(stack);
        var ok = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/ok"), ["sale.created"]);
        var failing = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/failing"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, [ok, failing]);
        await Publish.AllFinalAsync(stack, published.DeliveryIds);

        var counted = attemptsCounter.GetMeasurementSnapshot();
        Assert.Equal(1, counted.Where(m => (string?)m.Tags["outcome"] == "success").Sum(m => m.Value));
        Assert.Equal(2, counted.Where(m => (string?)m.Tags["outcome"] == "http_error").Sum(m => m.Value));
        var timed = duration.GetMeasurementSnapshot();
        Assert.Equal(3, timed.Count);
        Assert.All(timed, m => Assert.Equal("sale.created", m.Tags["event_type"]));
        Assert.Equal("ms", duration.Instrument!.Unit);
        // In flight drops once the worker has acked (just after the final write); the queue gauges show the last sample
        // (taken every 2 s), which reads empty once the sampler looks again.
        await Eventually.True(() =>
        {
            inFlight.RecordObservableInstruments();
            due.RecordObservableInstruments();
            lag.RecordObservableInstruments();
            scheduled.RecordObservableInstruments();
            return Task.FromResult(inFlight.LastMeasurement!.Value == 0 && due.LastMeasurement!.Value == 0 && lag.LastMeasurement!.Value == 0
                && scheduled.LastMeasurement!.Value == 0);
        }, "the gauges to read idle");
    }

    [Fact]
    public async Task Deliveries_of_a_disabled_or_deleted_webhook_end_without_an_attempt()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services(),
            withDispatcher: false, redis: backend);
        var tenant = await Seed.TenantAsync(stack);
        var disabled = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/disabled"), ["sale.created"]);
        var deleted = await Seed.WebhookAsync(stack, tenant, receiver.Url("/hooks/deleted"), ["sale.created"]);

        // Published while the webhooks were live; disabled or deleted before the Dispatcher got to them.
        var published = await Publish.EventAsync(stack, tenant, [disabled, deleted]);
        await using (var db = stack.CreateDbContext())
        {
            await db.Webhooks.Where(w => w.Id == disabled.WebhookId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Active, false), Ct);
            await db.Webhooks.Where(w => w.Id == deleted.WebhookId).ExecuteUpdateAsync(s => s.SetProperty(w => w.DeletedAt, DateTimeOffset.UtcNow), Ct);
        }
        stack.StartDispatcher();

        var deliveries = await Publish.AllFinalAsync(stack, published.DeliveryIds);
        Assert.Equal(["webhook disabled", "webhook deleted"], published.DeliveryIds.Select(id => deliveries.Single(d => d.Id == id).LastError));
        Assert.All(deliveries, d =>
        {
            Assert.Equal(DeliveryStatus.Failed, d.Status);
            Assert.Equal(0, d.AttemptCount);
            Assert.NotNull(d.CompletedAt);
            Assert.Null(d.NextAttemptAt);
        });
        Assert.Empty(receiver.Received);
        await Publish.AckedAsync(stack, published.DeliveryIds);
    }
}
