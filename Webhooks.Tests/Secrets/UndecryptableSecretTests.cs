using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Webhooks.Core.Data.Entities;
using Webhooks.Dispatcher;
using Webhooks.Tests.Delivery;
using Webhooks.Tests.Infrastructure;
using Webhooks.Tests.Security;
using static Webhooks.Tests.Secrets.Keyrings;

namespace Webhooks.Tests.Secrets;

/// <summary>
/// A Dispatcher whose keyring lacks the key a webhook's secret was encrypted with (here it started before an Api with
/// a newer keyring wrote that key's first secret) treats it as its own fault: the delivery is put off, never attempted,
/// nothing counts against the webhook, the operator gets an error log and a metric, and the delivery goes out once a
/// Dispatcher with the right keyring runs.
/// </summary>
public sealed class UndecryptableSecretTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string NewKeyId = "2027-05";

    [Fact]
    public async Task A_secret_the_Dispatcher_cannot_decrypt_puts_the_delivery_off_counts_nothing_and_it_succeeds_once_the_key_is_there()
    {
        var logs = new CapturedLogs();
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.Settings([200]),
            services => services.AddSingleton<ILoggerProvider>(logs));
        var meters = stack.DispatcherServices.GetRequiredService<IMeterFactory>();
        using var undecryptable = new MetricCollector<long>(meters, DispatcherTelemetry.Name, "webhooks.secrets.undecryptable");
        var tenant = await Seed.TenantAsync(stack);

        // An Api with the newer keyring creates the webhook: its secret is stored under the key the Dispatcher lacks.
        var ring = Ring((NewKeyId, NewKey), ("legacy", TestStack.EncryptionKey));
        await using var newerApi = stack.StartAnotherApi(ring);
        using var client = newerApi.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", tenant.OwnerApiKey);
        var created = await client.PostAsJsonAsync("/v1/webhooks", new { url = receiver.Url("/hook"), events = new[] { "sale.created" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        var webhook = new SeededWebhook(Guid.Parse((string)body["id"]!), (string)body["secret"]!);

        var published = await Publish.EventAsync(stack, tenant, webhook);
        var deliveryId = Assert.Single(published.DeliveryIds);

        // Put off again and again (each time after a first retry's delay), more often than the retry schedule has
        // attempts (two): none of it is an attempt. Each put-off is a claim round trip, slow on a loaded machine.
        await Eventually.Get(() => Task.FromResult(undecryptable.GetMeasurementSnapshot().Count), n => n >= 3,
            "the delivery put off three times", TestTimeouts.AppStart);
        Assert.All(undecryptable.GetMeasurementSnapshot(), m => Assert.Equal(NewKeyId, m.Tags["key_id"]));
        await using (var db = stack.CreateDbContext())
        {
            var delivery = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId, Ct);
            Assert.Equal((DeliveryStatus.Pending, 0), (delivery.Status, delivery.AttemptCount));
            Assert.False(await db.DeliveryAttempts.AnyAsync(a => a.DeliveryId == deliveryId, Ct));
            var stored = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhook.WebhookId, Ct);
            Assert.Equal((true, 0), (stored.Active, stored.ConsecutiveFailures));
            Assert.False(await db.Notifications.AnyAsync(n => n.TenantId == tenant.TenantId, Ct));
        }
        Assert.Empty(receiver.Received);
        var error = Assert.Single(logs.Entries.Where(e => e.Contains("cannot decrypt the webhook's signing secret")).Take(1));
        Assert.Contains("Error:", error);
        Assert.Contains($"'{NewKeyId}'", error);
        Assert.DoesNotContain(NewKey, string.Join('\n', logs.Entries));
        Assert.DoesNotContain(webhook.Secret, string.Join('\n', logs.Entries));

        // The operator fixes the Dispatcher's keyring: the delivery goes out, signed with the webhook's secret.
        await stack.StopDispatcherAsync();
        stack.StartDispatcher(ring);
        var final = Assert.Single(await Publish.AllFinalAsync(stack, [deliveryId]));
        Assert.Equal((DeliveryStatus.Success, 1), (final.Status, final.AttemptCount));
        var received = Assert.Single(receiver.Received);
        var secret = Encoding.UTF8.GetBytes(webhook.Secret);
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(received.Body))),
            received.Headers["X-Webhook-Signature"]);
    }
}
