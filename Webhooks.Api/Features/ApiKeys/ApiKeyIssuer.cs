using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Secrets;

namespace Webhooks.Api.Features.ApiKeys;

internal static class ApiKeyIssuer
{
    /// <summary>The names of the keys issued with a new tenant's owner and with a new user.</summary>
    public const string TenantOwnerKeyName = "Issued with the tenant";
    public const string UserKeyName = "Issued with the user";

    /// <summary>Adds a new key for the user to the unit of work and returns it with its plaintext, which is never
    /// stored: the caller shows it once.</summary>
    public static (ApiKey Row, string Key) Issue(WebhooksDbContext db, Guid userId, string name, DateTimeOffset now,
        DateTimeOffset? expiresAt = null)
    {
        var key = ApiKeyGenerator.Generate();
        var row = new ApiKey
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Name = name,
            Prefix = ApiKeyGenerator.DisplayPrefix(key),
            Hash = ApiKeyGenerator.Hash(key),
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        db.ApiKeys.Add(row);
        return (row, key);
    }
}
