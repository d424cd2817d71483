using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Secrets;

namespace Webhooks.Api.Features.Shared;

internal static class ApiKeys
{
    /// <summary>Adds a new key for the user to the unit of work and returns its plaintext, which is never stored:
    /// the caller shows it once.</summary>
    public static string Issue(WebhooksDbContext db, Guid userId, DateTimeOffset now)
    {
        var key = ApiKeyGenerator.Generate();
        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Prefix = ApiKeyGenerator.DisplayPrefix(key),
            Hash = ApiKeyGenerator.Hash(key),
            CreatedAt = now,
        });
        return key;
    }
}
