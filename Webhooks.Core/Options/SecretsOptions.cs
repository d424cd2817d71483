namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Secrets</c>: encryption at rest of webhook signing secrets.</summary>
public sealed class SecretsOptions
{
    public const string Section = "Webhooks:Secrets";

    /// <summary>The key id under which <see cref="EncryptionKey"/> is known, and that secrets stored before keyrings
    /// existed carry. Name it in <see cref="EncryptionKeys"/> to keep reading them after moving to a keyring.</summary>
    public const string LegacyKeyId = "legacy";

    /// <summary>A single key: a random string of at least 32 characters from which the AES-256-GCM key is derived.
    /// Required unless <see cref="EncryptionKeys"/> is set, which replaces it. It acts as a keyring of one whose id is
    /// <see cref="LegacyKeyId"/>. Keep it outside the database, or encryption at rest buys nothing.</summary>
    public string EncryptionKey { get; set; } = "";

    /// <summary>The keyring: the first key encrypts, every key decrypts what carries its id. Replaces
    /// <see cref="EncryptionKey"/> when set. Every process must have the same keys under the same ids.</summary>
    public List<EncryptionKeyOptions> EncryptionKeys { get; set; } = [];

    /// <summary>The keys in use, primary first, each with the setting that holds it (for messages that name it).</summary>
    public IReadOnlyList<ConfiguredKey> Keyring() => EncryptionKeys.Count == 0
        ? [new ConfiguredKey(LegacyKeyId, EncryptionKey, $"{Section}:EncryptionKey")]
        : [.. EncryptionKeys.Select((k, i) => new ConfiguredKey(k.Id, k.Key, $"{Section}:EncryptionKeys:{i}"))];
}

/// <summary>One entry of <c>Webhooks:Secrets:EncryptionKeys</c>.</summary>
public sealed class EncryptionKeyOptions
{
    /// <summary>1–32 letters, digits, '.', '_' or '-' (a date such as <c>2027-03</c> reads well). Stored with every
    /// ciphertext, so never reuse an id for another key.</summary>
    public string Id { get; set; } = "";

    /// <summary>A random string of at least 32 characters (e.g. <c>openssl rand -base64 36</c>).</summary>
    public string Key { get; set; } = "";
}

/// <param name="Setting">Where the key is configured: <c>Webhooks:Secrets:EncryptionKey</c> or <c>Webhooks:Secrets:EncryptionKeys:N</c>.</param>
public sealed record ConfiguredKey(string Id, string Key, string Setting);
