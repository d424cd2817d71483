using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class TenantsTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    [Fact]
    public async Task Admin_creates_a_tenant_with_its_owner_and_the_owners_key()
    {
        using var admin = Stack.CreateAdminClient();
        var response = await admin.PostAsJsonAsync("/v1/tenants",
            new { name = "  Acme Retail ", owner = new { email = "Olive@Example.com", name = "Olive" } }, Ct);
        var body = await ReadAsync(response, HttpStatusCode.Created);

        var tenantId = body.GetProperty("id").GetGuid();
        Assert.Equal("Acme Retail", body.GetProperty("name").GetString());
        var owner = body.GetProperty("owner");
        var ownerId = owner.GetProperty("id").GetGuid();
        Assert.Equal("olive@example.com", owner.GetProperty("email").GetString());
        Assert.Equal("Olive", owner.GetProperty("name").GetString());
        Assert.Equal(body.GetProperty("createdAt").GetDateTimeOffset(), owner.GetProperty("createdAt").GetDateTimeOffset());
        var apiKey = body.GetProperty("apiKey").GetString()!;
        Assert.StartsWith(ApiKeyGenerator.KeyPrefix, apiKey);
        Assert.Equal(7, tenantId.Version);

        await using var db = Stack.CreateDbContext();
        var tenant = await db.Tenants.SingleAsync(t => t.Id == tenantId, Ct);
        Assert.Equal(ownerId, tenant.OwnerUserId);
        Assert.Equal(body.GetProperty("createdAt").GetDateTimeOffset(), tenant.CreatedAt);
        var user = await db.Users.SingleAsync(u => u.Id == ownerId, Ct);
        Assert.Equal(tenantId, user.TenantId);

        // The key is a working owner key: the owner may add users.
        using var ownerClient = Stack.CreateClient(apiKey);
        var member = await ownerClient.PostAsJsonAsync("/v1/users", new { email = "m@example.com", name = "M" }, Ct);
        Assert.Equal(HttpStatusCode.Created, member.StatusCode);
    }

    [Fact]
    public async Task The_api_key_is_stored_only_as_a_prefix_and_a_hash()
    {
        var tenant = await CreateTenantAsync(Stack);

        await using var db = Stack.CreateDbContext();
        var key = await db.ApiKeys.SingleAsync(k => k.UserId == tenant.OwnerUserId, Ct);
        Assert.Equal(tenant.OwnerApiKey[..ApiKeyGenerator.DisplayPrefixLength], key.Prefix);
        Assert.Equal(ApiKeyGenerator.Hash(tenant.OwnerApiKey), key.Hash);

        // Not one column of the row holds the key.
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT row_to_json(k)::text FROM api_keys k WHERE user_id = @id";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "id";
        parameter.Value = tenant.OwnerUserId;
        command.Parameters.Add(parameter);
        var row = (string)(await command.ExecuteScalarAsync(Ct))!;
        Assert.DoesNotContain(tenant.OwnerApiKey, row);
        Assert.DoesNotContain(tenant.OwnerApiKey[ApiKeyGenerator.DisplayPrefixLength..], row);
    }

    [Theory]
    [InlineData("""{"owner":{"email":"a@example.com","name":"A"}}""", "name")]
    [InlineData("""{"name":"   ","owner":{"email":"a@example.com","name":"A"}}""", "name")]
    [InlineData("""{"name":"Acme"}""", "owner")]
    [InlineData("""{"name":"Acme","owner":{"name":"A"}}""", "owner.email")]
    [InlineData("""{"name":"Acme","owner":{"email":"not-an-email","name":"A"}}""", "owner.email")]
    [InlineData("""{"name":"Acme","owner":{"email":"Jane <jane@example.com>","name":"A"}}""", "owner.email")]
    [InlineData("""{"name":"Acme","owner":{"email":"a@example.com"}}""", "owner.name")]
    [InlineData("""{"name":"Acme","owner":{"email":"a@example.com","name":""}}""", "owner.name")]
    [InlineData("""{"name":5,"owner":{"email":"a@example.com","name":"A"}}""", "name")]
    [InlineData("""{"name":"Acme","owner":{"email":["a@example.com"],"name":"A"}}""", "owner.email")]
    public async Task Invalid_fields_are_400_naming_the_field(string json, string field)
    {
        using var admin = Stack.CreateAdminClient();
        var response = await admin.SendJsonAsync(HttpMethod.Post, "/v1/tenants", json);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Overlong_names_and_emails_are_400()
    {
        using var admin = Stack.CreateAdminClient();
        var longName = await admin.PostAsJsonAsync("/v1/tenants",
            new { name = new string('n', 201), owner = new { email = "a@example.com", name = new string('o', 201) } }, Ct);
        await AssertProblemAsync(longName, HttpStatusCode.BadRequest, "name", "owner.name");

        var longEmail = await admin.PostAsJsonAsync("/v1/tenants",
            new { name = "Acme", owner = new { email = new string('e', 309) + "@example.com", name = "A" } }, Ct);
        await AssertProblemAsync(longEmail, HttpStatusCode.BadRequest, "owner.email");

        var limits = await admin.PostAsJsonAsync("/v1/tenants",
            new { name = new string('n', 200), owner = new { email = new string('e', 308) + "@example.com", name = new string('o', 200) } }, Ct);
        Assert.Equal(HttpStatusCode.Created, limits.StatusCode);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("not json")]
    public async Task Malformed_json_is_a_400_problem(string json)
    {
        using var admin = Stack.CreateAdminClient();
        var response = await admin.SendJsonAsync(HttpMethod.Post, "/v1/tenants", json);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Nothing_is_left_behind_by_a_rejected_request()
    {
        await using var db = Stack.CreateDbContext();
        var before = await db.Tenants.CountAsync(Ct);
        using var admin = Stack.CreateAdminClient();
        await admin.PostAsJsonAsync("/v1/tenants", new { name = "Acme", owner = new { email = "bad", name = "A" } }, Ct);
        Assert.Equal(before, await db.Tenants.CountAsync(Ct));
    }

    [Fact]
    public async Task Only_the_admin_key_may_create_tenants()
    {
        var body = new { name = "Acme", owner = new { email = "a@example.com", name = "A" } };
        using var anonymous = Stack.CreateClient();
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/v1/tenants", body, Ct), HttpStatusCode.Unauthorized);
        using var wrongKey = Stack.CreateClient("whk_not-a-key-anyone-was-given");
        await AssertProblemAsync(await wrongKey.PostAsJsonAsync("/v1/tenants", body, Ct), HttpStatusCode.Unauthorized);

        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/tenants", body, Ct), HttpStatusCode.Forbidden);
    }
}
