using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;

namespace Webhooks.Core.Secrets;

/// <summary>Questions about the webhook secrets stored in Postgres, asked by the key id in their header.</summary>
internal static class StoredSecrets
{
    /// <summary>One stored ciphertext (current or previous secret) under <paramref name="keyId"/>, or null if none uses it.</summary>
    public static async Task<byte[]?> AnyUnderAsync(WebhooksDbContext db, string keyId, CancellationToken ct)
    {
        var header = SecretProtector.Header(keyId);
        var length = header.Length;
        var found = await db.Database.SqlQuery<byte[]>($"""
            (SELECT secret_ciphertext AS "Value" FROM webhooks WHERE substring(secret_ciphertext FROM 1 FOR {length}) = {header} LIMIT 1)
            UNION ALL
            (SELECT previous_secret_ciphertext FROM webhooks WHERE substring(previous_secret_ciphertext FROM 1 FOR {length}) = {header} LIMIT 1)
            LIMIT 1
            """).ToListAsync(ct);
        return found.Count == 0 ? null : found[0];
    }
}
