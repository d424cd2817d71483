using System.Security.Cryptography;
using Webhooks.Core.Secrets;

namespace Webhooks.Api.Features.PortalSessions;

/// <summary>Bearer tokens of the tenant portal: 256 random bits after a prefix that says what they are. Like API keys,
/// only their SHA-256 hash is stored.</summary>
internal static class PortalTokens
{
    /// <summary>A one-time sign-in link's token.</summary>
    public const string LinkPrefix = "whpl_";

    /// <summary>A portal session's credential; the Api takes it wherever it takes an API key.</summary>
    public const string SessionPrefix = "whps_";

    public static string Generate(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string token) => ApiKeyGenerator.Hash(token);
}
