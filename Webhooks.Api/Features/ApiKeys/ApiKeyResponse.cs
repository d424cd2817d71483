using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.ApiKeys;

/// <summary>An API key as every api-keys route shows it. Never carries the key itself: only creation returns that, once.</summary>
internal class ApiKeyResponse(ApiKey key)
{
    public Guid Id { get; } = key.Id;
    public string Name { get; } = key.Name;
    /// <summary>The key's first characters (<c>whk_…</c>), to tell keys apart; not enough to use it.</summary>
    public string Prefix { get; } = key.Prefix;
    /// <summary>The user the key acts as.</summary>
    public Guid UserId { get; } = key.UserId;
    public DateTimeOffset CreatedAt { get; } = key.CreatedAt;
    /// <summary>When the key last authenticated a request, to within about a minute; null if never.</summary>
    public DateTimeOffset? LastUsedAt { get; } = key.LastUsedAt;
    /// <summary>From this moment the key is refused; null: it never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; } = key.ExpiresAt;
}
