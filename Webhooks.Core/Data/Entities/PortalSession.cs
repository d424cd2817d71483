namespace Webhooks.Core.Data.Entities;

/// <summary>The credential the tenant portal holds for one signed-in user: a bearer token with the user's rights that
/// expires, and that signing out revokes. Only its SHA-256 hash is stored.</summary>
public sealed class PortalSession
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public required byte[] Hash { get; set; }
    /// <summary>The API key the user signed in with, or null for a one-time link. Revoking or expiring that key ends
    /// the session too, so a leaked key cannot outlive its revocation through a portal session.</summary>
    public Guid? ApiKeyId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
