using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Options;
using Webhooks.Core.Secrets;

namespace Webhooks.Bench.Setup;

/// <summary>The rows the management API would write (as Webhooks.Tests' Seed does), for builds without those routes.
/// REVIEW: delete once the management routes are on main.</summary>
internal sealed class DirectSeed(string connectionString, string encryptionKey)
{
    private readonly SecretProtector _protector = new(Options.Create(new SecretsOptions { EncryptionKey = encryptionKey }));

    public async Task<BenchTenant> TenantAsync(string name, CancellationToken ct)
    {
        await using var db = CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var tenant = new Tenant { Id = Guid.CreateVersion7(now), Name = name, CreatedAt = now };
        var owner = new User { Id = Guid.CreateVersion7(now), TenantId = tenant.Id, Email = $"owner@{name}.bench.example", Name = "Bench owner", CreatedAt = now };
        db.Tenants.Add(tenant);
        db.Users.Add(owner);
        await db.SaveChangesAsync(ct);
        tenant.OwnerUserId = owner.Id;
        var key = ApiKeyGenerator.Generate();
        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.CreateVersion7(now), UserId = owner.Id, Prefix = ApiKeyGenerator.DisplayPrefix(key), Hash = ApiKeyGenerator.Hash(key), CreatedAt = now,
        });
        await db.SaveChangesAsync(ct);
        return new BenchTenant(tenant.Id, owner.Id, key);
    }

    public async Task<Guid> WebhookAsync(BenchTenant tenant, string url, string[] events, CancellationToken ct)
    {
        await using var db = CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var webhook = new Webhook
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenant.Id,
            Url = url,
            Description = "bench",
            Events = [.. events],
            SecretCiphertext = _protector.Protect(WebhookSecret.Generate()),
            CreatedByUserId = tenant.OwnerId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync(ct);
        return webhook.Id;
    }

    private WebhooksDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options);
}
