namespace Webhooks.Core.Data.Entities;

/// <summary>
/// A known text encrypted with one key of the keyring: each process decrypts it at start, and refuses to start when it
/// cannot (see <see cref="Secrets.EncryptionKeyCheck"/>). A row exists for every key that stored secrets may use.
/// </summary>
public sealed class EncryptionKeyCanary
{
    public required string KeyId { get; set; }
    /// <summary>Null only for a key whose secrets predate canaries: the first process holding that key checks it
    /// against one of them, then writes the canary.</summary>
    public byte[]? Ciphertext { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
