using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Delivery;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Secrets.Keyrings;

namespace Webhooks.Tests.Secrets;

/// <summary>
/// Rotating the encryption key as the README tells an operator to: every process gets a keyring with the new key first,
/// <c>reencrypt-secrets</c> (the real command, in its own process) moves the stored secrets, then the old key leaves the
/// ring. Deliveries flow the whole time, and none fails.
/// </summary>
public sealed class KeyRotationTests(InfrastructureFixture infrastructure, ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string NewKeyId = "2027-03";

    [Fact]
    public async Task Rotating_the_keyring_and_reencrypting_while_deliveries_flow_fails_nothing()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services());
        var tenant = await Seed.TenantAsync(stack);
        var webhooks = new List<SeededWebhook>();
        for (var i = 0; i < 8; i++) webhooks.Add(await Seed.WebhookAsync(stack, tenant, receiver.Url($"/hooks/{i}"), ["sale.created"]));
        // One webhook mid-way through a secret rotation, so previous secrets move too.
        using (var owner = stack.CreateClient(tenant.OwnerApiKey))
        {
            var rotated = await owner.PostAsJsonAsync($"/v1/webhooks/{webhooks[0].WebhookId}/rotate-secret", new { graceSeconds = 3600 }, Ct);
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
            webhooks[0] = webhooks[0] with { Secret = (await rotated.Content.ReadFromJsonAsync<RotatedSecret>(Ct))!.Secret };
        }

        using var stopPublishing = new CancellationTokenSource();
        var deliveryIds = new ConcurrentBag<Guid>();
        var publishing = Task.Run(async () =>
        {
            while (!stopPublishing.IsCancellationRequested)
            {
                foreach (var id in (await Publish.EventAsync(stack, tenant, webhooks)).DeliveryIds) deliveryIds.Add(id);
                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);
        await DeliveredAsync(stack, 20);

        // 1. Every process gets the keyring, new key first. (On a real deployment, processes run [legacy, new] first
        //    if they restart one by one; see the README.) The new Api process writes the new key's canary.
        var ring = Ring((NewKeyId, NewKey), ("legacy", TestStack.EncryptionKey));
        await stack.StopDispatcherAsync();
        stack.StartDispatcher(ring);
        await using var rotatedApi = stack.StartAnotherApi(ring);
        await DeliveredAsync(stack, deliveryIds.Count + 20);

        // 2. The command moves every secret to the new key, logging its progress; run again, it has nothing to do.
        var first = await ReencryptSecretsAsync(stack, ring);
        Assert.Contains("Re-encryption: 8 of 8 webhooks examined, 8 re-encrypted, 0 failed", first);
        Assert.Contains("Key 'legacy' no longer encrypts any stored secret", first);
        Assert.DoesNotContain(NewKey, first);
        Assert.DoesNotContain(TestStack.EncryptionKey, first);
        Assert.DoesNotContain("whsec_", first);
        await using (var db = stack.CreateDbContext())
        {
            var stored = await db.Webhooks.AsNoTracking().ToListAsync(Ct);
            Assert.All(stored, w => Assert.Equal(NewKeyId, SecretProtector.KeyIdOf(w.SecretCiphertext)));
            Assert.Equal(NewKeyId, SecretProtector.KeyIdOf(stored.Single(w => w.Id == webhooks[0].WebhookId).PreviousSecretCiphertext!));
            Assert.Equal([NewKeyId], await db.EncryptionKeyCanaries.Select(c => c.KeyId).ToListAsync(Ct));
        }
        Assert.Contains("Re-encryption done: 8 webhooks examined, 0 re-encrypted", await ReencryptSecretsAsync(stack, ring));
        await DeliveredAsync(stack, deliveryIds.Count + 20);

        // 3. The old key leaves the ring: a Dispatcher with the new key alone starts and keeps delivering, while a
        //    process left on the old key alone refuses to start.
        await stack.StopDispatcherAsync();
        stack.StartDispatcher(Ring((NewKeyId, NewKey)));
        Assert.ThrowsAny<Exception>(() => stack.StartAnotherApi());
        await DeliveredAsync(stack, deliveryIds.Count + 20);

        await stopPublishing.CancelAsync();
        await publishing;
        var deliveries = await Publish.AllFinalAsync(stack, deliveryIds.ToList());
        output.WriteLine($"{deliveries.Count} deliveries across the rotation");
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.Success, d.Status));
        await using (var db = stack.CreateDbContext())
        {
            Assert.Equal(0, await db.DeliveryAttempts.CountAsync(a => a.Error != null || a.ResponseStatus != 200, Ct));
            Assert.Equal(0, (await db.Webhooks.AsNoTracking().ToListAsync(Ct)).Sum(w => w.ConsecutiveFailures));
        }
        // Every request, before, during and after, was signed with its webhook's secret.
        for (var i = 0; i < webhooks.Count; i++)
        {
            var secret = Encoding.UTF8.GetBytes(webhooks[i].Secret);
            Assert.All(receiver.ReceivedAt($"/hooks/{i}"), r => Assert.Equal(
                Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(r.Body))), r.Headers["X-Webhook-Signature"]));
        }
    }

    private static Task DeliveredAsync(TestStack stack, int atLeast) => Eventually.True(async () =>
    {
        await using var db = stack.CreateDbContext();
        return await db.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Success, Ct) >= atLeast;
    }, $"{atLeast} deliveries to succeed");

    /// <summary>Runs <c>dotnet Webhooks.Api.dll reencrypt-secrets</c> as an operator would, with the stack's settings
    /// and the keyring given, and returns its output; it must exit 0.</summary>
    private async Task<string> ReencryptSecretsAsync(TestStack stack, IDictionary<string, string?> keyring)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Webhooks.Api.dll"), "reencrypt-secrets" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(name);
        foreach (var (key, value) in stack.Settings.Concat(keyring))
        {
            var name = key.Replace(":", "__");
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(TestTimeouts.AppStart, Ct);
        var log = await stdout + await stderr;
        output.WriteLine(log);
        Assert.True(process.ExitCode == 0, $"reencrypt-secrets exited with {process.ExitCode}:\n{log}");
        return log;
    }

    private sealed record RotatedSecret(string Secret);
}
