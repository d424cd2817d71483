namespace Webhooks.Core.Data.Entities;

/// <summary>A user's bearer key. Only the SHA-256 hash is stored; the plaintext is shown once at creation.</summary>
public sealed class ApiKey
{
    public const int MaxNameLength = 200;

    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    /// <summary>What the key is for, so its user can tell keys apart ("billing service", "laptop").</summary>
    public required string Name { get; set; }
    /// <summary>The first characters of the key, kept so a user can tell keys apart; not secret.</summary>
    public required string Prefix { get; set; }
    public required byte[] Hash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When the key last authenticated a request, to within a minute (the Api writes it at most once a
    /// minute per key and process).</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
    /// <summary>From this moment the key is refused; null: it never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
    /// <summary>Set by DELETE /v1/api-keys/{id}; every Api process refuses the key within 2 s.</summary>
    public DateTimeOffset? RevokedAt { get; set; }
}
