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

    [Fact]
    public void Secrets_have_the_standard_webhooks_shape()
    {
        var secret = WebhookSecret.Generate();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(48, WebhookSecret.StandardKey(secret).Length);
    }
}
