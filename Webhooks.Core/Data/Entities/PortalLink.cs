namespace Webhooks.Core.Data.Entities;

/// <summary>A one-time sign-in link to the tenant portal, minted for a user by <c>POST /v1/portal-links</c>. Only the
/// token's SHA-256 hash is stored; redeeming it once opens a <see cref="PortalSession"/>.</summary>
public sealed class PortalLink
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public required byte[] Hash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    /// <summary>Set by the one redemption that wins; a link with a value here is spent.</summary>
    public DateTimeOffset? RedeemedAt { get; set; }
}
