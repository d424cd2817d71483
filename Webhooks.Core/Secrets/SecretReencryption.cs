using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Core.Data;

namespace Webhooks.Core.Secrets;

/// <summary>
/// Moves every stored webhook secret (current and previous) to the primary key of the keyring, a batch at a time, then
/// removes the canaries of keys that no secret uses any more (which may then leave the keyring). Safe to run again,
/// and while the services run: a row is rewritten only if it still holds what was read (so a rotation that lands
/// meanwhile is kept), and a row already under the primary key is left alone.
/// </summary>
public sealed partial class SecretReencryption(IServiceScopeFactory scopes, SecretProtector protector, ILogger<SecretReencryption> logger)
{
    public const int BatchSize = 500;

    public async Task<ReencryptionResult> RunAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        var primary = protector.Primary.Id;
        var total = await db.Webhooks.CountAsync(ct);
        LogStarting(total, primary);

        int examined = 0, reencrypted = 0, failed = 0;
        var after = Guid.Empty;
        while (true)
        {
            var cursor = after;
            var batch = await db.Webhooks.AsNoTracking().Where(w => w.Id.CompareTo(cursor) > 0).OrderBy(w => w.Id).Take(BatchSize)
                .Select(w => new StoredRow(w.Id, w.SecretCiphertext, w.PreviousSecretCiphertext)).ToListAsync(ct);
            if (batch.Count == 0) break;
            foreach (var row in batch)
            {
                switch (await ReencryptAsync(db, row, ct))
                {
                    case Outcome.Reencrypted: reencrypted++; break;
                    case Outcome.Failed: failed++; break;
                }
            }
            examined += batch.Count;
            after = batch[^1].Id;
            LogProgress(examined, total, reencrypted, failed);
        }

        var retired = new List<string>();
        foreach (var keyId in await db.EncryptionKeyCanaries.Where(c => c.KeyId != primary).Select(c => c.KeyId).ToListAsync(ct))
        {
            if (await StoredSecrets.AnyUnderAsync(db, keyId, ct) is not null)
            {
                LogStillUsed(keyId);
                continue;
            }
            await db.EncryptionKeyCanaries.Where(c => c.KeyId == keyId).ExecuteDeleteAsync(ct);
            retired.Add(keyId);
            LogRetired(keyId);
        }
        LogDone(examined, reencrypted, failed, primary);
        return new ReencryptionResult(examined, reencrypted, failed, retired);
    }

    private async Task<Outcome> ReencryptAsync(WebhooksDbContext db, StoredRow row, CancellationToken ct)
    {
        // A row changed between read and write (a rotation, say) is read again; a few tries settle any real race.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (protector.IsPrimary(row.Secret) && (row.Previous is null || protector.IsPrimary(row.Previous))) return Outcome.Unchanged;
            byte[] secret;
            byte[]? previous;
            try
            {
                secret = Reencrypt(row.Secret);
                previous = row.Previous is null ? null : Reencrypt(row.Previous);
            }
            catch (CryptographicException e)
            {
                LogUnreadable(row.Id, e.Message);
                return Outcome.Failed;
            }
            var (oldSecret, oldPrevious) = (row.Secret, row.Previous);
            var written = await db.Webhooks
                .Where(w => w.Id == row.Id && w.SecretCiphertext == oldSecret && w.PreviousSecretCiphertext == oldPrevious)
                .ExecuteUpdateAsync(u => u.SetProperty(w => w.SecretCiphertext, secret).SetProperty(w => w.PreviousSecretCiphertext, previous), ct);
            if (written == 1) return Outcome.Reencrypted;

            var current = await db.Webhooks.AsNoTracking().Where(w => w.Id == row.Id)
                .Select(w => new StoredRow(w.Id, w.SecretCiphertext, w.PreviousSecretCiphertext)).FirstOrDefaultAsync(ct);
            if (current is null) return Outcome.Unchanged;
            row = current;
        }
        LogUnreadable(row.Id, "the row kept changing while it was re-encrypted; run the command again");
        return Outcome.Failed;
    }

    private byte[] Reencrypt(byte[] ciphertext) => protector.IsPrimary(ciphertext) ? ciphertext : protector.Protect(protector.Unprotect(ciphertext));

    private sealed record StoredRow(Guid Id, byte[] Secret, byte[]? Previous);

    private enum Outcome { Unchanged, Reencrypted, Failed }

    [LoggerMessage(LogLevel.Information, "Re-encrypting the secrets of {Total} webhooks with key '{KeyId}'")]
    private partial void LogStarting(int total, string keyId);

    [LoggerMessage(LogLevel.Information, "Re-encryption: {Examined} of {Total} webhooks examined, {Reencrypted} re-encrypted, {Failed} failed")]
    private partial void LogProgress(int examined, int total, int reencrypted, int failed);

    [LoggerMessage(LogLevel.Error, "Re-encryption: the secret of webhook {WebhookId} could not be re-encrypted: {Reason}")]
    private partial void LogUnreadable(Guid webhookId, string reason);

    [LoggerMessage(LogLevel.Warning, "Key '{KeyId}' still encrypts stored secrets (written meanwhile by a process whose primary key it is?); run the command again once every process has the new primary key")]
    private partial void LogStillUsed(string keyId);

    [LoggerMessage(LogLevel.Information, "Key '{KeyId}' no longer encrypts any stored secret: its canary is removed, and it may leave Webhooks:Secrets:EncryptionKeys")]
    private partial void LogRetired(string keyId);

    [LoggerMessage(LogLevel.Information, "Re-encryption done: {Examined} webhooks examined, {Reencrypted} re-encrypted to key '{KeyId}', {Failed} failed")]
    private partial void LogDone(int examined, int reencrypted, int failed, string keyId);
}

/// <param name="RetiredKeyIds">Keys no stored secret uses any more, whose canaries were removed.</param>
public sealed record ReencryptionResult(int Examined, int Reencrypted, int Failed, IReadOnlyList<string> RetiredKeyIds);
