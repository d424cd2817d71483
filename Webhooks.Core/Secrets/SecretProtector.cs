using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;

namespace Webhooks.Core.Secrets;

/// <summary>
/// Encrypts webhook signing secrets at rest with AES-256-GCM under a keyring (<c>Webhooks:Secrets:EncryptionKeys</c>, or
/// the single <c>EncryptionKey</c> as a ring of one). The first key encrypts; any key of the ring decrypts what names it.
/// <code>
/// stored = 0x01 | id length (1 byte) | key id (ASCII) | 12-byte nonce | 16-byte tag | ciphertext
/// </code>
/// Ciphertexts written before keyrings existed were the last three parts alone; the EncryptionKeyring migration put
/// the header of key id <c>legacy</c> in front of each, so every stored ciphertext has one layout and names its key.
/// </summary>
public sealed class SecretProtector
{
    public const int MaxKeyIdLength = 32;
    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly Dictionary<string, (byte[] Aes, ConfiguredKey Configured)> _keys = new(StringComparer.Ordinal);

    public SecretProtector(IOptions<SecretsOptions> options)
    {
        var ring = options.Value.Keyring();
        foreach (var key in ring) _keys.TryAdd(key.Id, (Derive(key.Key), key)); // ids are validated unique at start
        Primary = ring[0];
        KeyIds = [.. ring.Select(k => k.Id)];
    }

    /// <summary>The key that encrypts.</summary>
    public ConfiguredKey Primary { get; }

    /// <summary>The ids of the ring, primary first.</summary>
    public IReadOnlyList<string> KeyIds { get; }

    /// <summary>The configured key with this id, if the ring has it.</summary>
    public ConfiguredKey? Find(string keyId) => _keys.TryGetValue(keyId, out var key) ? key.Configured : null;

    public byte[] Protect(string secret) => Protect(secret, Primary.Id);

    /// <summary>Encrypts with the ring's key of that id (the canary check encrypts with others than the primary).</summary>
    public byte[] Protect(string secret, string keyId)
    {
        var header = Header(keyId);
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var output = new byte[header.Length + NonceSize + TagSize + plaintext.Length];
        header.CopyTo(output, 0);
        var nonce = output.AsSpan(header.Length, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[keyId].Aes, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(header.Length + NonceSize + TagSize), output.AsSpan(header.Length + NonceSize, TagSize));
        return output;
    }

    /// <exception cref="CryptographicException">The ciphertext is damaged, names a key the ring lacks
    /// (<see cref="UnknownEncryptionKeyException"/>), or its key id holds another key here than where it was written.</exception>
    public string Unprotect(byte[] protectedSecret)
    {
        var keyId = KeyIdOf(protectedSecret);
        if (!_keys.TryGetValue(keyId, out var key)) throw new UnknownEncryptionKeyException(keyId);
        var body = protectedSecret.AsSpan(2 + keyId.Length);
        if (body.Length < NonceSize + TagSize) throw new CryptographicException("The stored secret is too short to be a ciphertext.");
        var plaintext = new byte[body.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key.Aes, TagSize);
        aes.Decrypt(body[..NonceSize], body[(NonceSize + TagSize)..], body.Slice(NonceSize, TagSize), plaintext);
        return Encoding.UTF8.GetString(plaintext);
    }

    /// <summary>Whether the ciphertext is already under the primary key (re-encryption leaves those alone).</summary>
    public bool IsPrimary(byte[] protectedSecret) => KeyIdOf(protectedSecret) == Primary.Id;

    /// <summary>The id of the key a stored ciphertext was encrypted with.</summary>
    public static string KeyIdOf(byte[] protectedSecret)
    {
        if (protectedSecret.Length < 3 || protectedSecret[0] != FormatVersion || protectedSecret[1] is 0 or > MaxKeyIdLength
            || protectedSecret.Length < 2 + protectedSecret[1])
            throw new CryptographicException("The stored secret does not start with a key id header: it was not written by this service.");
        return Encoding.ASCII.GetString(protectedSecret, 2, protectedSecret[1]);
    }

    /// <summary>The bytes every ciphertext under <paramref name="keyId"/> starts with (for SQL that looks for them).</summary>
    public static byte[] Header(string keyId)
    {
        if (!IsValidKeyId(keyId)) throw new ArgumentException($"'{keyId}' is not a valid key id.", nameof(keyId));
        return [FormatVersion, (byte)keyId.Length, .. Encoding.ASCII.GetBytes(keyId)];
    }

    public static bool IsValidKeyId(string id) =>
        id.Length is > 0 and <= MaxKeyIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    // HKDF turns any long random string into exactly the 32 bytes AES-256 wants; unchanged since the single key, so
    // the legacy key still opens what it wrote.
    private static byte[] Derive(string key) => HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(key), 32,
        salt: [], info: "webhooks/secret-encryption/v1"u8.ToArray());
}

/// <summary>A stored secret names a key id that this process' keyring lacks.</summary>
public sealed class UnknownEncryptionKeyException(string keyId)
    : CryptographicException($"The stored secret is encrypted with key id '{keyId}', which Webhooks:Secrets:EncryptionKeys does not have.")
{
    public string KeyId { get; } = keyId;
}
