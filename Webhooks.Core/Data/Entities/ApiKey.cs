namespace Webhooks.Core.Data.Entities;

/// <summary>A user's bearer key. Only the SHA-256 hash is stored; the plaintext is shown once at creation.</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    /// <summary>The first characters of the key, kept so a user can tell keys apart; not secret.</summary>
    public required string Prefix { get; set; }
    public required byte[] Hash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
