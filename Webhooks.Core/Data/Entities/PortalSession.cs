namespace Webhooks.Core.Data.Entities;

/// <summary>The credential the tenant portal holds for one signed-in user: a bearer token with the user's rights that
/// expires, and that signing out revokes. Only its SHA-256 hash is stored.</summary>
public sealed class PortalSession
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public required byte[] Hash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
