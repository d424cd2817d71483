using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Options;

namespace Webhooks.Core.Secrets;

/// <summary>
/// At start, before any delivery is sent or secret written, each process proves that its keyring opens what is stored:
/// it decrypts the canary of every key that stored secrets may use (<see cref="EncryptionKeyCanary"/>), and writes its
/// primary key's canary if that key has none yet. A process with a wrong or missing key refuses to start with a message
/// naming the setting, instead of starting and failing every delivery it touches.
/// </summary>
public sealed partial class EncryptionKeyCheck(
    IServiceScopeFactory scopes, SecretProtector protector, TimeProvider time, ILogger<EncryptionKeyCheck> logger) : IHostedService
{
    internal const string CanaryText = "webhooks encryption canary";
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await VerifyAsync(cancellationToken);
                return;
            }
            catch (EncryptionKeyMismatchException e)
            {
                LogRefused(e.Message);
                throw;
            }
            catch (Exception e) when (IsNotReadyYet(e) && !cancellationToken.IsCancellationRequested)
            {
                // Postgres not up yet, or its schema not migrated yet (the Dispatcher may start before the Api migrates).
                // Short waits: a process restarted during a Postgres outage should be serving soon after it ends.
                LogWaiting(e.Message, wait);
                await Task.Delay(wait, time, cancellationToken);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, MaxWait.Ticks));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The check itself; throws <see cref="EncryptionKeyMismatchException"/> when the keyring cannot open what is stored.</summary>
    public async Task VerifyAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        var canaries = await db.EncryptionKeyCanaries.AsNoTracking().ToListAsync(ct);
        foreach (var canary in canaries) await VerifyAsync(db, canary, ct);
        if (canaries.Any(c => c.KeyId == protector.Primary.Id)) return;

        // The primary key's canary goes in before anything is encrypted with it. Two processes may race here: the row
        // that won is checked like any other.
        var keyId = protector.Primary.Id;
        var ciphertext = protector.Protect(CanaryText);
        var now = time.GetUtcNow();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO encryption_key_canaries (key_id, ciphertext, created_at) VALUES ({keyId}, {ciphertext}, {now})
            ON CONFLICT (key_id) DO NOTHING
            """, ct);
        await VerifyAsync(db, await db.EncryptionKeyCanaries.AsNoTracking().SingleAsync(c => c.KeyId == keyId, ct), ct);
        LogCanaryWritten(keyId);
    }

    private async Task VerifyAsync(WebhooksDbContext db, EncryptionKeyCanary canary, CancellationToken ct)
    {
        var key = protector.Find(canary.KeyId) ?? throw new EncryptionKeyMismatchException(
            $"Stored webhook secrets are encrypted with the key id '{canary.KeyId}', which this process' keyring lacks " +
            $"(it has '{string.Join("', '", protector.KeyIds)}'). Every Api and Dispatcher process needs the same keys: add " +
            $"{{ id: '{canary.KeyId}', key: … }} to {SecretsOptions.Section}:EncryptionKeys (the single " +
            $"{SecretsOptions.Section}:EncryptionKey has the id '{SecretsOptions.LegacyKeyId}').");
        if (canary.Ciphertext is { } ciphertext)
        {
            if (!Opens(ciphertext, CanaryText)) throw Mismatch(key, "the stored canary");
            return;
        }

        // A key whose secrets predate canaries: one of those secrets is the test, then the canary is written.
        var sample = await StoredSecrets.AnyUnderAsync(db, key.Id, ct);
        if (sample is null)
        {
            await db.Database.ExecuteSqlAsync($"DELETE FROM encryption_key_canaries WHERE key_id = {key.Id} AND ciphertext IS NULL", ct);
            return;
        }
        if (!Opens(sample, expected: null)) throw Mismatch(key, "the stored webhook secrets");
        var written = protector.Protect(CanaryText, key.Id);
        await db.Database.ExecuteSqlAsync($"UPDATE encryption_key_canaries SET ciphertext = {written} WHERE key_id = {key.Id} AND ciphertext IS NULL", ct);
        LogCanaryWritten(key.Id);
    }

    private bool Opens(byte[] ciphertext, string? expected)
    {
        try
        {
            var plaintext = protector.Unprotect(ciphertext);
            return expected is null || plaintext == expected;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static EncryptionKeyMismatchException Mismatch(ConfiguredKey key, string what) => new(
        $"{key.Setting} (key id '{key.Id}') cannot decrypt {what} of key '{key.Id}': this process has another key under " +
        "that id than the processes that wrote them. Every Api and Dispatcher process must have the same keys; this one " +
        "refuses to start rather than fail the deliveries it would send.");

    /// <summary>Postgres unreachable or starting, or the schema not there yet; also when wrapped by EF's retry strategy
    /// (the Dispatcher's), which gives up with its own exception.</summary>
    private static bool IsNotReadyYet(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is NpgsqlException npgsql) return npgsql.IsTransient || npgsql is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable };
        }
        return false;
    }

    [LoggerMessage(LogLevel.Critical, "Refusing to start: {Reason}")]
    private partial void LogRefused(string reason);

    [LoggerMessage(LogLevel.Warning, "Cannot check the encryption keys against Postgres yet ({Reason}); trying again in {Wait}")]
    private partial void LogWaiting(string reason, TimeSpan wait);

    [LoggerMessage(LogLevel.Information, "Wrote the canary of encryption key '{KeyId}'")]
    private partial void LogCanaryWritten(string keyId);
}

/// <summary>The keyring cannot open what is stored; the message names the setting to fix.</summary>
public sealed class EncryptionKeyMismatchException(string message) : Exception(message);
