using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;

namespace Webhooks.Core.Secrets;

/// <summary>Encrypts webhook signing secrets at rest with AES-256-GCM. Layout: 12-byte nonce | 16-byte tag | ciphertext.</summary>
public sealed class SecretProtector(IOptions<SecretsOptions> options)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    // HKDF turns any long random string into exactly the 32 bytes AES-256 wants.
    private readonly byte[] _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(options.Value.EncryptionKey),
        32, salt: [], info: "webhooks/secret-encryption/v1"u8.ToArray());

    public byte[] Protect(string secret)
    {
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize));
        return output;
    }

    public string Unprotect(byte[] protectedSecret)
    {
        var plaintext = new byte[protectedSecret.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(protectedSecret.AsSpan(0, NonceSize), protectedSecret.AsSpan(NonceSize + TagSize),
            protectedSecret.AsSpan(NonceSize, TagSize), plaintext);
        return Encoding.UTF8.GetString(plaintext);
    }
}
