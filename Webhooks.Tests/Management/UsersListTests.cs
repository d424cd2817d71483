using System.Net;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class UsersListTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    [Fact]
    public async Task The_owner_lists_the_tenants_users_with_their_roles_newest_first()
    {
        var tenant = await CreateTenantAsync(Stack);
        var (firstId, _) = await CreateMemberAsync(tenant, "first@example.com");
        var (secondId, memberKey) = await CreateMemberAsync(tenant, "second@example.com");
        await CreateTenantAsync(Stack, "Other"); // another tenant's users stay out

        using var owner = tenant.OwnerClient();
        var page = await ReadAsync(await owner.GetAsync("/v1/users", Ct), HttpStatusCode.OK);
        var users = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([secondId, firstId, tenant.OwnerUserId], users.Select(u => u.GetProperty("id").GetGuid()));
        Assert.Equal(["member", "member", "owner"], users.Select(u => u.GetProperty("role").GetString()));
        Assert.Equal("second@example.com", users[0].GetProperty("email").GetString());

        var firstPage = await ReadAsync(await owner.GetAsync("/v1/users?limit=2", Ct), HttpStatusCode.OK);
        var rest = await ReadAsync(await owner.GetAsync($"/v1/users?limit=2&cursor={firstPage.GetProperty("nextCursor").GetString()}", Ct), HttpStatusCode.OK);
        Assert.Equal(tenant.OwnerUserId, rest.GetProperty("items")[0].GetProperty("id").GetGuid());

        using var member = Stack.CreateClient(memberKey);
        await AssertProblemAsync(await member.GetAsync("/v1/users", Ct), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await owner.GetAsync("/v1/users?limit=0", Ct), HttpStatusCode.BadRequest, "limit");
    }
}
