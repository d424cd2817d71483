using System.Security.Cryptography;
using System.Text;
using Webhooks.Core.Options;
using Webhooks.Core.Secrets;

namespace Webhooks.Tests.Foundation;

public sealed class SecretProtectorTests
{
    private static SecretProtector Protector(string key) =>
        new(Microsoft.Extensions.Options.Options.Create(new SecretsOptions { EncryptionKey = key }));

    [Fact]
    public void Round_trips_and_never_stores_the_plaintext()
    {
        var protector = Protector("a-key-of-at-least-thirty-two-characters!!");
        var secret = WebhookSecret.Generate();
        var stored = protector.Protect(secret);

        Assert.Equal(secret, protector.Unprotect(stored));
        Assert.DoesNotContain(secret, Encoding.UTF8.GetString(stored));
        Assert.NotEqual(stored, protector.Protect(secret)); // a fresh nonce each time
    }

    [Fact]
    public void Another_key_cannot_decrypt()
    {
        var stored = Protector("a-key-of-at-least-thirty-two-characters!!").Protect(WebhookSecret.Generate());
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() =>
            Protector("another-key-of-at-least-thirty-two-chars").Unprotect(stored));
    }

    private static SecretProtector Ring(params (string Id, string Key)[] keys) =>
        new(Microsoft.Extensions.Options.Options.Create(new SecretsOptions
        {
            EncryptionKey = "an-ignored-single-key-of-thirty-two-characters",
            EncryptionKeys = [.. keys.Select(k => new EncryptionKeyOptions { Id = k.Id, Key = k.Key })],
        }));

    private const string KeyA = "key-a-of-at-least-thirty-two-characters-aaaa";
    private const string KeyB = "key-b-of-at-least-thirty-two-characters-bbbb";

    [Fact]
    public void Every_ciphertext_names_its_key_and_the_first_key_of_the_ring_encrypts()
    {
        var stored = Ring(("b", KeyB), ("a", KeyA)).Protect("whsec_x");

        Assert.Equal("b", SecretProtector.KeyIdOf(stored));
        Assert.Equal(SecretProtector.Header("b"), stored[..SecretProtector.Header("b").Length]);
        Assert.Equal("legacy", SecretProtector.KeyIdOf(Protector(KeyA).Protect("whsec_x"))); // the single key is a ring of one
    }

    [Fact]
    public void Any_key_of_the_ring_decrypts_what_names_it()
    {
        var underA = Ring(("a", KeyA)).Protect("whsec_a");
        var underB = Ring(("b", KeyB)).Protect("whsec_b");
        var both = Ring(("b", KeyB), ("a", KeyA));

        Assert.Equal("whsec_a", both.Unprotect(underA));
        Assert.Equal("whsec_b", both.Unprotect(underB));
        Assert.True(both.IsPrimary(underB));
        Assert.False(both.IsPrimary(underA));
    }

    [Fact]
    public void A_key_the_ring_lacks_or_another_key_under_the_same_id_cannot_decrypt()
    {
        var underA = Ring(("a", KeyA)).Protect("whsec_a");

        var unknown = Assert.Throws<UnknownEncryptionKeyException>(() => Ring(("b", KeyB)).Unprotect(underA));
        Assert.Equal("a", unknown.KeyId);
        Assert.Contains("'a'", unknown.Message);
        Assert.ThrowsAny<CryptographicException>(() => Ring(("a", KeyB)).Unprotect(underA));
        Assert.ThrowsAny<CryptographicException>(() => Ring(("a", KeyA)).Unprotect([0x01, 0x01]));
        Assert.ThrowsAny<CryptographicException>(() => Ring(("a", KeyA)).Unprotect(underA[(2 + 1)..])); // no header
    }

    [Fact]
    public void A_secret_stored_before_keyrings_opens_with_the_legacy_header_in_front()
    {
        // The pre-keyring layout, written independently of SecretProtector: AES-256-GCM under HKDF-SHA256(key, no salt,
        // info "webhooks/secret-encryption/v1"), stored as nonce | tag | ciphertext.
        var aesKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(KeyA), 32, [], "webhooks/secret-encryption/v1"u8.ToArray());
        var plaintext = "whsec_before"u8.ToArray();
        var old = new byte[12 + 16 + plaintext.Length];
        RandomNumberGenerator.Fill(old.AsSpan(0, 12));
        using (var aes = new AesGcm(aesKey, 16)) aes.Encrypt(old.AsSpan(0, 12), plaintext, old.AsSpan(28), old.AsSpan(12, 16));

        byte[] migrated = [.. Convert.FromHexString("01066c6567616379"), .. old]; // what the EncryptionKeyring migration prepends

        Assert.Equal("whsec_before", Protector(KeyA).Unprotect(migrated));
        Assert.Equal("whsec_before", Ring(("2027-03", KeyB), ("legacy", KeyA)).Unprotect(migrated));
    }

    [Fact]
    public void Secrets_have_the_standard_webhooks_shape()
    {
        var secret = WebhookSecret.Generate();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(48, WebhookSecret.StandardKey(secret).Length);
    }
}
