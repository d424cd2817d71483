using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class UsersTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    [Fact]
    public async Task Owner_adds_a_member_whose_key_works_once_shown()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var response = await owner.PostAsJsonAsync("/v1/users", new { email = " Max@Example.COM ", name = " Max " }, Ct);
        var body = await ReadAsync(response, HttpStatusCode.Created);

        var userId = body.GetProperty("id").GetGuid();
        Assert.Equal("max@example.com", body.GetProperty("email").GetString());
        Assert.Equal("Max", body.GetProperty("name").GetString());
        var apiKey = body.GetProperty("apiKey").GetString()!;
        Assert.StartsWith(ApiKeyGenerator.KeyPrefix, apiKey);

        await using var db = Stack.CreateDbContext();
        var user = await db.Users.SingleAsync(u => u.Id == userId, Ct);
        Assert.Equal(tenant.TenantId, user.TenantId);
        Assert.Equal(body.GetProperty("createdAt").GetDateTimeOffset(), user.CreatedAt);
        var key = await db.ApiKeys.SingleAsync(k => k.UserId == userId, Ct);
        Assert.Equal(ApiKeyGenerator.Hash(apiKey), key.Hash);
        Assert.Equal(ApiKeyGenerator.DisplayPrefix(apiKey), key.Prefix);

        // A member key works on tenant routes and is the creator of what it makes.
        using var member = Stack.CreateClient(apiKey);
        var webhook = await CreateWebhookAsync(member);
        Assert.Equal(userId, webhook.GetProperty("createdByUserId").GetGuid());
    }

    [Theory]
    [InlineData("dup@example.com")]
    [InlineData("DUP@example.com")]
    public async Task A_taken_email_is_409_naming_email(string again)
    {
        var tenant = await CreateTenantAsync(Stack);
        await CreateMemberAsync(tenant, "dup@example.com");
        using var owner = tenant.OwnerClient();

        var response = await owner.PostAsJsonAsync("/v1/users", new { email = again, name = "Again" }, Ct);
        await AssertProblemAsync(response, HttpStatusCode.Conflict, "email");
        await using var db = Stack.CreateDbContext();
        Assert.Equal(2, await db.Users.CountAsync(u => u.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task The_same_email_may_exist_in_another_tenant()
    {
        var first = await CreateTenantAsync(Stack);
        var second = await CreateTenantAsync(Stack);
        await CreateMemberAsync(first, "shared@example.com");
        var (userId, _) = await CreateMemberAsync(second, "shared@example.com");
        Assert.NotEqual(Guid.Empty, userId);
    }

    [Theory]
    [InlineData("""{"name":"Max"}""", "email")]
    [InlineData("""{"email":"","name":"Max"}""", "email")]
    [InlineData("""{"email":"max.example.com","name":"Max"}""", "email")]
    [InlineData("""{"email":"max@","name":"Max"}""", "email")]
    [InlineData("""{"email":"max@example.com"}""", "name")]
    [InlineData("""{"email":"max@example.com","name":" \t "}""", "name")]
    [InlineData("""{"email":true,"name":"Max"}""", "email")]
    public async Task Invalid_fields_are_400_naming_the_field(string json, string field)
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        await AssertProblemAsync(await owner.SendJsonAsync(HttpMethod.Post, "/v1/users", json), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Overlong_email_and_name_are_400()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var response = await owner.PostAsJsonAsync("/v1/users",
            new { email = new string('e', 309) + "@example.com", name = new string('n', 201) }, Ct);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "email", "name");
    }

    [Fact]
    public async Task Only_the_tenant_owner_may_add_users()
    {
        var tenant = await CreateTenantAsync(Stack);
        var (_, memberKey) = await CreateMemberAsync(tenant);
        var body = new { email = "new@example.com", name = "New" };

        using var member = Stack.CreateClient(memberKey);
        await AssertProblemAsync(await member.PostAsJsonAsync("/v1/users", body, Ct), HttpStatusCode.Forbidden);
        using var admin = Stack.CreateAdminClient();
        await AssertProblemAsync(await admin.PostAsJsonAsync("/v1/users", body, Ct), HttpStatusCode.Forbidden);
        using var anonymous = Stack.CreateClient();
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/v1/users", body, Ct), HttpStatusCode.Unauthorized);
        using var wrongKey = Stack.CreateClient(ApiKeyGenerator.Generate());
        await AssertProblemAsync(await wrongKey.PostAsJsonAsync("/v1/users", body, Ct), HttpStatusCode.Unauthorized);
    }
}
