using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Secrets.Keyrings;

namespace Webhooks.Tests.Secrets;

/// <summary>A process whose encryption keys cannot open the stored secrets refuses to start, naming the setting.</summary>
public sealed class EncryptionKeyCheckTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_api_or_a_dispatcher_with_another_key_refuses_to_start_naming_the_setting()
    {
        await using var stack = await TestStack.StartAsync(infrastructure);
        var tenant = await Seed.TenantAsync(stack);
        await Seed.WebhookAsync(stack, tenant, "https://a.example/hook", ["sale.created"]);

        var api = await RefusedAsync(() => stack.StartAnotherApi(SingleKey(OtherKey)));
        Assert.Contains("Webhooks:Secrets:EncryptionKey (key id 'legacy') cannot decrypt the stored canary", api.Message);
        Assert.DoesNotContain(OtherKey, api.Message);
        Assert.DoesNotContain(TestStack.EncryptionKey, api.Message);

        await stack.StopDispatcherAsync();
        var dispatcher = await RefusedAsync(() => stack.StartDispatcher(SingleKey(OtherKey)));
        Assert.Contains("Webhooks:Secrets:EncryptionKey (key id 'legacy')", dispatcher.Message);
        var ring = await RefusedAsync(() => stack.StartDispatcher(Ring(("legacy", OtherKey))));
        Assert.Contains("Webhooks:Secrets:EncryptionKeys:0 (key id 'legacy')", ring.Message);

        // A keyring without the key in use says which id is missing.
        var missing = await RefusedAsync(() => stack.StartDispatcher(Ring(("2027-03", NewKey))));
        Assert.Contains("key id 'legacy', which this process' keyring lacks", missing.Message);

        stack.StartDispatcher(); // the right key starts
        await using var again = stack.StartAnotherApi(Ring(("legacy", TestStack.EncryptionKey)));
    }

    [Fact]
    public async Task Secrets_stored_before_canaries_are_the_test_until_the_first_right_process_writes_the_canary()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        await Seed.WebhookAsync(stack, tenant, "https://a.example/hook", ["sale.created"]);
        await using (var db = stack.CreateDbContext())
        {
            // What the EncryptionKeyring migration leaves behind on a database that has secrets.
            await db.EncryptionKeyCanaries.ExecuteDeleteAsync(Ct);
            db.EncryptionKeyCanaries.Add(new EncryptionKeyCanary { KeyId = "legacy", Ciphertext = null, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync(Ct);
        }

        var refused = await RefusedAsync(() => stack.StartAnotherApi(SingleKey(OtherKey)));
        Assert.Contains("Webhooks:Secrets:EncryptionKey (key id 'legacy') cannot decrypt the stored webhook secrets", refused.Message);
        await using (var db = stack.CreateDbContext())
        {
            Assert.Null((await db.EncryptionKeyCanaries.SingleAsync(Ct)).Ciphertext); // a refused process writes nothing
        }

        await using var right = stack.StartAnotherApi();
        await using (var db = stack.CreateDbContext())
        {
            var canary = await db.EncryptionKeyCanaries.SingleAsync(Ct);
            Assert.Equal("legacy", SecretProtector.KeyIdOf(canary.Ciphertext!));
        }
        await RefusedAsync(() => stack.StartAnotherApi(SingleKey(OtherKey))); // and now the canary is the test
    }

    [Fact]
    public async Task The_keyring_migration_names_the_legacy_key_in_every_existing_ciphertext()
    {
        var (database, _) = infrastructure.NextStack();
        await using var dataSource = WebhooksDatabase.CreateDataSource(infrastructure.DatabaseConnectionString(database));
        await using var db = new WebhooksDbContext(WebhooksDatabase.ContextOptions(dataSource));
        await db.GetService<IMigrator>().MigrateAsync("ApiKeyLifecycle", Ct);
        var protector = new SecretProtector(Microsoft.Extensions.Options.Options.Create(new Core.Options.SecretsOptions { EncryptionKey = TestStack.EncryptionKey }));
        var (secret, previous) = (WebhookSecret.Generate(), WebhookSecret.Generate());
        var webhookId = await InsertWebhookAsync(db, PreKeyringLayout(protector.Protect(secret)), PreKeyringLayout(protector.Protect(previous)));
        var secondId = await InsertWebhookAsync(db, PreKeyringLayout(protector.Protect(secret)), null);

        await db.Database.MigrateAsync(Ct);

        var row = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhookId, Ct);
        Assert.Equal("legacy", SecretProtector.KeyIdOf(row.SecretCiphertext));
        Assert.Equal(secret, protector.Unprotect(row.SecretCiphertext));
        Assert.Equal(previous, protector.Unprotect(row.PreviousSecretCiphertext!));
        Assert.Null((await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == secondId, Ct)).PreviousSecretCiphertext);
        var placeholder = await db.EncryptionKeyCanaries.AsNoTracking().SingleAsync(Ct);
        Assert.Equal(("legacy", null), (placeholder.KeyId, placeholder.Ciphertext));
    }

    /// <summary>The layout before keyrings: the same bytes without the key id header (0x01, length, id).</summary>
    private static byte[] PreKeyringLayout(byte[] stored) => stored[(2 + stored[1])..];

    private static async Task<Guid> InsertWebhookAsync(WebhooksDbContext db, byte[] secret, byte[]? previous)
    {
        var now = DateTimeOffset.UtcNow;
        var tenant = new Tenant { Id = Guid.CreateVersion7(), Name = "Before", CreatedAt = now };
        var user = new User { Id = Guid.CreateVersion7(), TenantId = tenant.Id, Email = $"{Guid.NewGuid():N}@example.com", Name = "U", CreatedAt = now };
        db.Tenants.Add(tenant);
        db.Users.Add(user);
        var webhook = new Webhook
        {
            Id = Guid.CreateVersion7(), TenantId = tenant.Id, Url = "https://a.example/hook", Events = ["sale.created"], SecretCiphertext = secret,
            PreviousSecretCiphertext = previous, CreatedByUserId = user.Id, CreatedAt = now, UpdatedAt = now,
        };
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync(Ct);
        db.ChangeTracker.Clear();
        return webhook.Id;
    }

    /// <summary>Starting the process throws, with the check's message somewhere in the chain.</summary>
    private static Task<EncryptionKeyMismatchException> RefusedAsync(Func<object> start)
    {
        var error = Assert.ThrowsAny<Exception>(() => start());
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is EncryptionKeyMismatchException mismatch) return Task.FromResult(mismatch);
            if (e is AggregateException aggregate && aggregate.InnerExceptions.OfType<EncryptionKeyMismatchException>().FirstOrDefault() is { } inner)
                return Task.FromResult(inner);
        }
        throw new Xunit.Sdk.XunitException($"Expected the encryption key check to refuse, got: {error}");
    }

    private static Task<EncryptionKeyMismatchException> RefusedAsync(Action start) => RefusedAsync(() => { start(); return new object(); });
}
