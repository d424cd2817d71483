namespace Webhooks.Tests.Secrets;

/// <summary>Settings for a keyring (which replaces the stack's single Webhooks:Secrets:EncryptionKey).</summary>
internal static class Keyrings
{
    public const string NewKey = "rotated-encryption-key-9876543210fedcba-9876543210";
    public const string OtherKey = "some-other-encryption-key-0123456789-abcdefghij";

    public static Dictionary<string, string?> Ring(params (string Id, string Key)[] keys)
    {
        var settings = new Dictionary<string, string?> { ["Webhooks:Secrets:EncryptionKey"] = null };
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Webhooks:Secrets:EncryptionKeys:{i}:Id"] = keys[i].Id;
            settings[$"Webhooks:Secrets:EncryptionKeys:{i}:Key"] = keys[i].Key;
        }
        return settings;
    }

    public static Dictionary<string, string?> SingleKey(string key) => new() { ["Webhooks:Secrets:EncryptionKey"] = key };
}
