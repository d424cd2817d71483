using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

/// <summary>Another tenant's webhooks do not exist for a caller: every id-taking route answers 404, exactly as for
/// an id that never existed, and nothing changes.</summary>
public sealed class TenantIsolationTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    /// <summary>Every route that takes a webhook id.</summary>
    public static TheoryData<string, string, string?> IdRoutes => new()
    {
        { "GET", "/v1/webhooks/{id}", null },
        { "PATCH", "/v1/webhooks/{id}", """{"url":"https://attacker.example.com/","active":true}""" },
        { "PATCH", "/v1/webhooks/{id}", "{}" },
        { "DELETE", "/v1/webhooks/{id}", null },
        { "POST", "/v1/webhooks/{id}/rotate-secret", null },
        { "POST", "/v1/webhooks/{id}/rotate-secret", """{"graceSeconds":0}""" },
        { "POST", "/v1/webhooks/{id}/ping", null },
        { "POST", "/v1/webhooks/{id}/recover", """{"since":"2020-01-01T00:00:00Z"}""" },
    };

    [Theory]
    [MemberData(nameof(IdRoutes))]
    public async Task Another_tenants_key_gets_404_and_changes_nothing(string method, string route, string? json)
    {
        var victim = await CreateTenantAsync(Stack, "Victim");
        using var victimClient = victim.OwnerClient();
        var webhook = await CreateWebhookAsync(victimClient, description: "private");
        var id = webhook.GetProperty("id").GetGuid();
        var before = await ReadAsync(await victimClient.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);

        var other = await CreateTenantAsync(Stack, "Other");
        var (_, memberKey) = await CreateMemberAsync(other);
        foreach (var key in new[] { other.OwnerApiKey, memberKey })
        {
            using var attacker = Stack.CreateClient(key);
            var request = new HttpRequestMessage(new HttpMethod(method), route.Replace("{id}", id.ToString()));
            if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            var problem = await AssertProblemAsync(await attacker.SendAsync(request, Ct), HttpStatusCode.NotFound);

            // Indistinguishable from an id that never existed.
            var unknown = new HttpRequestMessage(new HttpMethod(method), route.Replace("{id}", Guid.CreateVersion7().ToString()));
            if (json is not null) unknown.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            var unknownProblem = await AssertProblemAsync(await attacker.SendAsync(unknown, Ct), HttpStatusCode.NotFound);
            Assert.Equal(unknownProblem.GetProperty("detail").GetString(), problem.GetProperty("detail").GetString());
        }

        var after = await ReadAsync(await victimClient.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.Equal(before.GetRawText(), after.GetRawText());
        await using var db = Stack.CreateDbContext();
        var row = await db.Webhooks.SingleAsync(w => w.Id == id, Ct);
        Assert.Null(row.DeletedAt);
        Assert.Null(row.PreviousSecretCiphertext);
        Assert.Equal(webhook.GetProperty("secret").GetString(),
            Stack.ApiServices.GetRequiredService<SecretProtector>().Unprotect(row.SecretCiphertext));
    }

    [Fact]
    public async Task Lists_show_only_the_callers_tenant()
    {
        var first = await CreateTenantAsync(Stack, "First");
        var second = await CreateTenantAsync(Stack, "Second");
        using var firstClient = first.OwnerClient();
        using var secondClient = second.OwnerClient();
        var firstIds = new List<Guid>();
        for (var i = 0; i < 3; i++) firstIds.Add((await CreateWebhookAsync(firstClient)).GetProperty("id").GetGuid());
        var secondId = (await CreateWebhookAsync(secondClient)).GetProperty("id").GetGuid();

        var (_, memberKey) = await CreateMemberAsync(second);
        using var secondMember = Stack.CreateClient(memberKey);
        foreach (var client in new[] { secondClient, secondMember })
        {
            // Page by page too: a cursor from one tenant's list never reaches into another's.
            var seen = new List<Guid>();
            string? cursor = null;
            do
            {
                var page = await ReadAsync(await client.GetAsync("/v1/webhooks?limit=1" + (cursor is null ? "" : $"&cursor={cursor}"), Ct), HttpStatusCode.OK);
                seen.AddRange(page.GetProperty("items").EnumerateArray().Select(w => w.GetProperty("id").GetGuid()));
                cursor = page.GetProperty("nextCursor").GetString();
            } while (cursor is not null);
            Assert.Equal([secondId], seen);
        }

        var firstPage = await ReadAsync(await firstClient.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK);
        Assert.Equal(firstIds.OrderDescending(), firstPage.GetProperty("items").EnumerateArray().Select(w => w.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task A_cursor_made_from_another_tenants_id_reveals_nothing()
    {
        var first = await CreateTenantAsync(Stack, "First");
        var second = await CreateTenantAsync(Stack, "Second");
        using var firstClient = first.OwnerClient();
        using var secondClient = second.OwnerClient();
        var mine = (await CreateWebhookAsync(secondClient)).GetProperty("id").GetGuid();
        var theirs = (await CreateWebhookAsync(firstClient)).GetProperty("id").GetGuid();

        var cursor = Webhooks.Api.Features.Shared.PageCursor.Encode(theirs);
        var page = await ReadAsync(await secondClient.GetAsync($"/v1/webhooks?cursor={cursor}", Ct), HttpStatusCode.OK);
        Assert.Equal([mine], page.GetProperty("items").EnumerateArray().Select(w => w.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task Users_are_added_only_to_the_owners_own_tenant()
    {
        var first = await CreateTenantAsync(Stack, "First");
        var second = await CreateTenantAsync(Stack, "Second");
        using var secondOwner = second.OwnerClient();
        var body = await ReadAsync(await secondOwner.PostAsJsonAsync("/v1/users",
            new { email = "new@example.com", name = "New", tenantId = first.TenantId }, Ct), HttpStatusCode.Created);

        await using var db = Stack.CreateDbContext();
        var user = await db.Users.SingleAsync(u => u.Id == body.GetProperty("id").GetGuid(), Ct);
        Assert.Equal(second.TenantId, user.TenantId);
    }
}
