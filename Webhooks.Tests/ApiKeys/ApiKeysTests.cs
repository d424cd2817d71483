using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

using Webhooks.Tests.Management;

namespace Webhooks.Tests.ApiKeys;

/// <summary>GET, POST and DELETE /v1/api-keys: what each role may do, what is shown, and that a revoked key stops working.</summary>
public sealed class ApiKeysTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    [Fact]
    public async Task A_created_key_is_shown_once_listed_without_it_and_refused_once_revoked()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var expiresAt = DateTimeOffset.UtcNow.AddDays(30);

        var created = await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = " billing service ", expiresAt }, Ct),
            HttpStatusCode.Created);
        var key = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetGuid();
        Assert.StartsWith(ApiKeyGenerator.KeyPrefix, key);
        Assert.Equal("billing service", created.GetProperty("name").GetString());
        Assert.Equal(ApiKeyGenerator.DisplayPrefix(key), created.GetProperty("prefix").GetString());
        Assert.Equal(tenant.OwnerUserId, created.GetProperty("userId").GetGuid());
        Assert.Equal(expiresAt.UtcTicks / 10, created.GetProperty("expiresAt").GetDateTimeOffset().UtcTicks / 10);
        Assert.Equal(JsonValueKind.Null, created.GetProperty("lastUsedAt").ValueKind);
        await using (var db = Stack.CreateDbContext())
        {
            Assert.Equal(ApiKeyGenerator.Hash(key), (await db.ApiKeys.SingleAsync(k => k.Id == id, Ct)).Hash);
        }

        using var withKey = Stack.CreateClient(key);
        Assert.Equal(HttpStatusCode.OK, (await withKey.GetAsync("/v1/webhooks", Ct)).StatusCode);

        var listed = (await ListAsync(owner)).Single(k => k.GetProperty("id").GetGuid() == id);
        Assert.False(listed.TryGetProperty("key", out _));
        Assert.DoesNotContain(key, listed.GetRawText());
        Assert.Equal(["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "userId"],
            listed.EnumerateObject().Select(p => p.Name).Order());

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/api-keys/{id}", Ct)).StatusCode);
        await AssertProblemAsync(await withKey.GetAsync("/v1/webhooks", Ct), HttpStatusCode.Unauthorized);
        Assert.DoesNotContain(await ListAsync(owner), k => k.GetProperty("id").GetGuid() == id);
        await AssertProblemAsync(await owner.DeleteAsync($"/v1/api-keys/{id}", Ct), HttpStatusCode.NotFound);
        await using (var db = Stack.CreateDbContext())
        {
            Assert.NotNull((await db.ApiKeys.SingleAsync(k => k.Id == id, Ct)).RevokedAt);
        }
    }

    [Fact]
    public async Task Keys_issued_with_a_tenant_or_a_user_have_names()
    {
        var tenant = await CreateTenantAsync(Stack);
        var (memberId, _) = await CreateMemberAsync(tenant);
        using var owner = tenant.OwnerClient();

        var keys = await ListAsync(owner);
        Assert.Equal("Issued with the tenant", keys.Single(k => k.GetProperty("userId").GetGuid() == tenant.OwnerUserId).GetProperty("name").GetString());
        Assert.Equal("Issued with the user", keys.Single(k => k.GetProperty("userId").GetGuid() == memberId).GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_member_manages_only_their_own_keys_and_the_owner_every_key_of_the_tenant()
    {
        var tenant = await CreateTenantAsync(Stack);
        var (memberId, memberKey) = await CreateMemberAsync(tenant);
        var (otherMemberId, _) = await CreateMemberAsync(tenant);
        using var owner = tenant.OwnerClient();
        using var member = Stack.CreateClient(memberKey);

        // Listing: the member sees their own key only, the owner all three users' keys.
        Assert.Equal([memberId], (await ListAsync(member)).Select(k => k.GetProperty("userId").GetGuid()));
        Assert.Equal(new[] { tenant.OwnerUserId, memberId, otherMemberId }.Order(),
            (await ListAsync(owner)).Select(k => k.GetProperty("userId").GetGuid()).Order());
        Assert.Equal([otherMemberId], (await ListAsync(owner, $"?userId={otherMemberId}")).Select(k => k.GetProperty("userId").GetGuid()));
        await AssertProblemAsync(await member.GetAsync($"/v1/api-keys?userId={tenant.OwnerUserId}", Ct), HttpStatusCode.Forbidden, "userId");

        // Creating: a member for themself (with or without naming themself), never for someone else.
        await ReadAsync(await member.PostAsJsonAsync("/v1/api-keys", new { name = "mine" }, Ct), HttpStatusCode.Created);
        await ReadAsync(await member.PostAsJsonAsync("/v1/api-keys", new { name = "mine too", userId = memberId }, Ct), HttpStatusCode.Created);
        await AssertProblemAsync(await member.PostAsJsonAsync("/v1/api-keys", new { name = "theirs", userId = otherMemberId }, Ct),
            HttpStatusCode.Forbidden, "userId");
        await AssertProblemAsync(await member.PostAsJsonAsync("/v1/api-keys", new { name = "owner's", userId = tenant.OwnerUserId }, Ct),
            HttpStatusCode.Forbidden, "userId");

        // The owner issues a key for a member: it acts as that member.
        var forMember = await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = "for max", userId = otherMemberId }, Ct),
            HttpStatusCode.Created);
        Assert.Equal(otherMemberId, forMember.GetProperty("userId").GetGuid());
        using (var asOther = Stack.CreateClient(forMember.GetProperty("key").GetString()!))
        {
            Assert.All(await ListAsync(asOther), k => Assert.Equal(otherMemberId, k.GetProperty("userId").GetGuid()));
            await AssertProblemAsync(await asOther.PostAsJsonAsync("/v1/users", new { email = "x@example.com", name = "X" }, Ct), HttpStatusCode.Forbidden);
        }

        // Revoking: a member cannot see, hence cannot revoke, another user's key; the owner can.
        var forMemberId = forMember.GetProperty("id").GetGuid();
        await AssertProblemAsync(await member.DeleteAsync($"/v1/api-keys/{forMemberId}", Ct), HttpStatusCode.NotFound);
        var ownerKeyId = (await ListAsync(owner, $"?userId={tenant.OwnerUserId}")).Single().GetProperty("id").GetGuid();
        await AssertProblemAsync(await member.DeleteAsync($"/v1/api-keys/{ownerKeyId}", Ct), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/api-keys/{forMemberId}", Ct)).StatusCode);

        // A member may revoke their own key, even the one in use (the next request is refused).
        var memberKeyId = (await ListAsync(member)).Select(k => k.GetProperty("id").GetGuid()).Min();
        Assert.Equal(HttpStatusCode.NoContent, (await member.DeleteAsync($"/v1/api-keys/{memberKeyId}", Ct)).StatusCode);
        await AssertProblemAsync(await member.GetAsync("/v1/api-keys", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Another_tenants_keys_and_users_are_not_found()
    {
        var tenant = await CreateTenantAsync(Stack);
        var other = await CreateTenantAsync(Stack, "Other");
        var (otherMemberId, _) = await CreateMemberAsync(other);
        using var owner = tenant.OwnerClient();
        using var otherOwner = other.OwnerClient();
        var otherKeyId = (await ListAsync(otherOwner)).First().GetProperty("id").GetGuid();

        await AssertProblemAsync(await owner.DeleteAsync($"/v1/api-keys/{otherKeyId}", Ct), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = "x", userId = otherMemberId }, Ct), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = "x", userId = Guid.NewGuid() }, Ct), HttpStatusCode.NotFound);
        Assert.Empty(await ListAsync(owner, $"?userId={otherMemberId}"));
        Assert.DoesNotContain(await ListAsync(owner), k => k.GetProperty("id").GetGuid() == otherKeyId);
        Assert.Equal(2, (await ListAsync(otherOwner)).Count); // untouched
    }

    [Fact]
    public async Task The_owners_last_unexpired_key_cannot_be_revoked()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var first = (await ListAsync(owner)).Single().GetProperty("id").GetGuid();

        await AssertProblemAsync(await owner.DeleteAsync($"/v1/api-keys/{first}", Ct), HttpStatusCode.Conflict);
        var expiring = await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys",
            new { name = "soon gone", expiresAt = DateTimeOffset.UtcNow.AddMinutes(1) }, Ct), HttpStatusCode.Created);
        Assert.NotEqual(first, expiring.GetProperty("id").GetGuid());
        var lasting = await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = "replacement" }, Ct), HttpStatusCode.Created);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/api-keys/{first}", Ct)).StatusCode);
        using var replacement = Stack.CreateClient(lasting.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.NoContent, (await replacement.DeleteAsync($"/v1/api-keys/{expiring.GetProperty("id").GetGuid()}", Ct)).StatusCode);
        await AssertProblemAsync(await replacement.DeleteAsync($"/v1/api-keys/{lasting.GetProperty("id").GetGuid()}", Ct), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Bad_fields_are_400_naming_them()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();

        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { }, Ct), HttpStatusCode.BadRequest, "name");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = " " }, Ct), HttpStatusCode.BadRequest, "name");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = new string('n', 201) }, Ct), HttpStatusCode.BadRequest, "name");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = "late", expiresAt = DateTimeOffset.UtcNow.AddSeconds(-1) }, Ct),
            HttpStatusCode.BadRequest, "expiresAt");
        await AssertProblemAsync(await owner.SendJsonAsync(HttpMethod.Post, "/v1/api-keys", """{"name":"x","userId":"nope"}"""), HttpStatusCode.BadRequest, "userId");
        await AssertProblemAsync(await owner.GetAsync("/v1/api-keys?userId=nope", Ct), HttpStatusCode.BadRequest, "userId");
        await using var db = Stack.CreateDbContext();
        Assert.Equal(1, await db.ApiKeys.CountAsync(k => k.UserId == tenant.OwnerUserId, Ct));
    }

    [Fact]
    public async Task The_list_is_paged_newest_first()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        foreach (var name in new[] { "a", "b", "c" })
            await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name }, Ct), HttpStatusCode.Created);

        var first = await ReadAsync(await owner.GetAsync("/v1/api-keys?limit=2", Ct), HttpStatusCode.OK);
        Assert.Equal(["c", "b"], first.GetProperty("items").EnumerateArray().Select(k => k.GetProperty("name").GetString()));
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await ReadAsync(await owner.GetAsync($"/v1/api-keys?limit=2&cursor={cursor}", Ct), HttpStatusCode.OK);
        Assert.Equal(["a", "Issued with the tenant"], second.GetProperty("items").EnumerateArray().Select(k => k.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient client, string query = "")
    {
        var page = await ReadAsync(await client.GetAsync("/v1/api-keys" + query, Ct), HttpStatusCode.OK);
        return [.. page.GetProperty("items").EnumerateArray()];
    }
}
