using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Core.Secrets;

/// <summary>API keys: <c>whk_</c> + 43 base64url characters (256 random bits). Stored only as SHA-256.</summary>
public static class ApiKeyGenerator
{
    public const string KeyPrefix = "whk_";
    public const int DisplayPrefixLength = 12;

    public static string Generate() =>
        KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string DisplayPrefix(string key) => key[..Math.Min(DisplayPrefixLength, key.Length)];
}
