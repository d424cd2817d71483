using System.Security.Cryptography;

namespace Webhooks.Core.Secrets;

/// <summary>Signing secrets in the Standard Webhooks form: <c>whsec_</c> + base64 of 48 random bytes.</summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";

    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    /// <summary>The HMAC key of the Standard Webhooks signature: the base64-decoded part after <c>whsec_</c>.</summary>
    public static byte[] StandardKey(string secret) => Convert.FromBase64String(secret[Prefix.Length..]);
}
