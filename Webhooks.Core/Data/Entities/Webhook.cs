namespace Webhooks.Core.Data.Entities;

public sealed class Webhook
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Url { get; set; }
    public string? Description { get; set; }
    /// <summary>Subscribed event type names, each from the catalog.</summary>
    public List<string> Events { get; set; } = [];
    public bool Active { get; set; } = true;
    /// <summary>The signing secret, encrypted with <see cref="Secrets.SecretProtector"/>.</summary>
    public required byte[] SecretCiphertext { get; set; }
    /// <summary>The secret before the last rotation; still signs until <see cref="PreviousSecretExpiresAt"/>.</summary>
    public byte[]? PreviousSecretCiphertext { get; set; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }
    public int ConsecutiveFailures { get; set; }
    public DateTimeOffset? LastSuccessAt { get; set; }
    public DateTimeOffset? LastFailureAt { get; set; }
    /// <summary>Names the current run of consecutive failures; a new one (UUIDv7) starts at the first failure after a
    /// success or a re-enable. Failure alerts dedupe per streak, so a new streak alerts again at each threshold.</summary>
    public Guid? FailureStreakId { get; set; }
    public DateTimeOffset? DisabledAt { get; set; }
    public string? DisabledReason { get; set; }
    public Guid CreatedByUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Deleted webhooks are kept (hidden) so their delivery history stays readable until retention removes it.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}
