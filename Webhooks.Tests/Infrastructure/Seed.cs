using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Secrets;

namespace Webhooks.Tests.Infrastructure;

/// <summary>Writes tenants, users and webhooks straight to the stack's database, for tests about what comes after
/// them (publishing, sending, alerts). The management API has its own tests.</summary>
internal static class Seed
{
    public static async Task<SeededTenant> TenantAsync(TestStack stack, string name = "Acme")
    {
        await using var db = stack.CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var tenant = new Tenant { Id = Guid.CreateVersion7(), Name = name, CreatedAt = now };
        var owner = new User { Id = Guid.CreateVersion7(), TenantId = tenant.Id, Email = $"owner-{tenant.Id:N}@example.com", Name = "Owner", CreatedAt = now };
        db.Tenants.Add(tenant);
        db.Users.Add(owner);
        await db.SaveChangesAsync();
        tenant.OwnerUserId = owner.Id;
        var key = AddKey(db, owner.Id, now);
        await db.SaveChangesAsync();
        return new SeededTenant(tenant.Id, owner.Id, key);
    }

    public static async Task<SeededUser> UserAsync(TestStack stack, SeededTenant tenant, string name = "Member")
    {
        await using var db = stack.CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var user = new User { Id = Guid.CreateVersion7(), TenantId = tenant.TenantId, Email = $"{Guid.NewGuid():N}@example.com", Name = name, CreatedAt = now };
        db.Users.Add(user);
        var key = AddKey(db, user.Id, now);
        await db.SaveChangesAsync();
        return new SeededUser(user.Id, key);
    }

    public static async Task<SeededWebhook> WebhookAsync(TestStack stack, SeededTenant tenant, string url, string[] events,
        Guid? createdBy = null, bool active = true)
    {
        var protector = stack.ApiServices.GetRequiredService<SecretProtector>();
        var secret = WebhookSecret.Generate();
        await using var db = stack.CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var webhook = new Webhook
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant.TenantId,
            Url = url,
            Events = [.. events],
            Active = active,
            SecretCiphertext = protector.Protect(secret),
            CreatedByUserId = createdBy ?? tenant.OwnerUserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync();
        return new SeededWebhook(webhook.Id, secret);
    }

    private static string AddKey(Webhooks.Core.Data.WebhooksDbContext db, Guid userId, DateTimeOffset now)
    {
        var key = ApiKeyGenerator.Generate();
        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.CreateVersion7(), UserId = userId, Name = "seeded", Prefix = ApiKeyGenerator.DisplayPrefix(key), Hash = ApiKeyGenerator.Hash(key), CreatedAt = now,
        });
        return key;
    }
}

internal sealed record SeededTenant(Guid TenantId, Guid OwnerUserId, string OwnerApiKey);

internal sealed record SeededUser(Guid UserId, string ApiKey);

internal sealed record SeededWebhook(Guid WebhookId, string Secret);
