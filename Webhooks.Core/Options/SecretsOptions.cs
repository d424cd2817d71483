namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Secrets</c>: encryption at rest of webhook signing secrets.</summary>
public sealed class SecretsOptions
{
    public const string Section = "Webhooks:Secrets";

    /// <summary>A random string of at least 32 characters from which the AES-256-GCM key that encrypts signing secrets
    /// in Postgres is derived. Required; the AppHost generates one as a secret parameter. Keep it outside the
    /// database, or encryption at rest buys nothing.</summary>
    public string EncryptionKey { get; set; } = "";
}
