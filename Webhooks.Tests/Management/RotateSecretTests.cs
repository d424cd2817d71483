using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class RotateSecretTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;
    private SecretProtector Protector => Stack.ApiServices.GetRequiredService<SecretProtector>();

    private async Task<(HttpClient Client, Guid Id, string Secret)> ArrangeAsync()
    {
        var tenant = await CreateTenantAsync(Stack);
        var client = tenant.OwnerClient();
        var webhook = await CreateWebhookAsync(client);
        return (client, webhook.GetProperty("id").GetGuid(), webhook.GetProperty("secret").GetString()!);
    }

    [Fact]
    public async Task Without_a_body_the_old_secret_keeps_signing_for_a_day()
    {
        var (client, id, oldSecret) = await ArrangeAsync();
        using var owner = client;
        var before = DateTimeOffset.UtcNow;

        var body = await ReadAsync(await client.PostAsync($"/v1/webhooks/{id}/rotate-secret", null, Ct), HttpStatusCode.OK);

        var secret = body.GetProperty("secret").GetString()!;
        Assert.StartsWith(WebhookSecret.Prefix, secret);
        Assert.NotEqual(oldSecret, secret);
        var expires = body.GetProperty("previousSecretExpiresAt").GetDateTimeOffset();
        Assert.InRange(expires, before.AddDays(1).AddSeconds(-1), DateTimeOffset.UtcNow.AddDays(1).AddSeconds(1));

        await using var db = Stack.CreateDbContext();
        var row = await db.Webhooks.SingleAsync(w => w.Id == id, Ct);
        Assert.Equal(secret, Protector.Unprotect(row.SecretCiphertext));
        Assert.Equal(oldSecret, Protector.Unprotect(row.PreviousSecretCiphertext!));
        Assert.Equal(expires, row.PreviousSecretExpiresAt);

        // Never shown again.
        var read = await ReadAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.DoesNotContain(secret, read.GetRawText());
        Assert.False(read.TryGetProperty("secret", out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3600)]
    [InlineData(604800)]
    public async Task The_grace_period_is_the_one_asked_for(int graceSeconds)
    {
        var (client, id, oldSecret) = await ArrangeAsync();
        using var owner = client;
        var before = DateTimeOffset.UtcNow;

        var body = await ReadAsync(await client.PostAsJsonAsync($"/v1/webhooks/{id}/rotate-secret", new { graceSeconds }, Ct), HttpStatusCode.OK);

        var expires = body.GetProperty("previousSecretExpiresAt").GetDateTimeOffset();
        Assert.InRange(expires, before.AddSeconds(graceSeconds - 1), DateTimeOffset.UtcNow.AddSeconds(graceSeconds + 1));
        await using var db = Stack.CreateDbContext();
        Assert.Equal(oldSecret, Protector.Unprotect((await db.Webhooks.SingleAsync(w => w.Id == id, Ct)).PreviousSecretCiphertext!));
    }

    [Fact]
    public async Task Grace_zero_keeps_no_previous_secret()
    {
        var (client, id, _) = await ArrangeAsync();
        using var owner = client;
        await client.PostAsync($"/v1/webhooks/{id}/rotate-secret", null, Ct); // leaves a previous secret behind

        var body = await ReadAsync(await client.PostAsJsonAsync($"/v1/webhooks/{id}/rotate-secret", new { graceSeconds = 0 }, Ct), HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Null, body.GetProperty("previousSecretExpiresAt").ValueKind);
        await using var db = Stack.CreateDbContext();
        var row = await db.Webhooks.SingleAsync(w => w.Id == id, Ct);
        Assert.Equal(body.GetProperty("secret").GetString(), Protector.Unprotect(row.SecretCiphertext));
        Assert.Null(row.PreviousSecretCiphertext);
        Assert.Null(row.PreviousSecretExpiresAt);
    }

    [Fact]
    public async Task Rotating_again_retires_the_oldest_secret()
    {
        var (client, id, first) = await ArrangeAsync();
        using var owner = client;
        var second = (await ReadAsync(await client.PostAsync($"/v1/webhooks/{id}/rotate-secret", null, Ct), HttpStatusCode.OK))
            .GetProperty("secret").GetString();
        var third = (await ReadAsync(await client.PostAsync($"/v1/webhooks/{id}/rotate-secret", null, Ct), HttpStatusCode.OK))
            .GetProperty("secret").GetString();

        await using var db = Stack.CreateDbContext();
        var row = await db.Webhooks.SingleAsync(w => w.Id == id, Ct);
        Assert.Equal(third, Protector.Unprotect(row.SecretCiphertext));
        Assert.Equal(second, Protector.Unprotect(row.PreviousSecretCiphertext!));
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData("""{"graceSeconds":-1}""")]
    [InlineData("""{"graceSeconds":604801}""")]
    [InlineData("""{"graceSeconds":"soon"}""")]
    [InlineData("""{"graceSeconds":1.5}""")]
    public async Task An_invalid_grace_period_is_400_naming_graceSeconds(string json)
    {
        var (client, id, secret) = await ArrangeAsync();
        using var owner = client;
        var response = await client.SendJsonAsync(HttpMethod.Post, $"/v1/webhooks/{id}/rotate-secret", json);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "graceSeconds");

        await using var db = Stack.CreateDbContext();
        Assert.Equal(secret, Protector.Unprotect((await db.Webhooks.SingleAsync(w => w.Id == id, Ct)).SecretCiphertext));
    }

    [Fact]
    public async Task Rotation_refuses_the_admin_key_and_unknown_keys()
    {
        var (client, id, _) = await ArrangeAsync();
        using var owner = client;
        using var admin = Stack.CreateAdminClient();
        await AssertProblemAsync(await admin.PostAsync($"/v1/webhooks/{id}/rotate-secret", null, Ct), HttpStatusCode.Forbidden);
        using var anonymous = Stack.CreateClient();
        await AssertProblemAsync(await anonymous.PostAsync($"/v1/webhooks/{id}/rotate-secret", null, Ct), HttpStatusCode.Unauthorized);
    }
}
