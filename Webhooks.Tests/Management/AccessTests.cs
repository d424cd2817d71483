using System.Net;
using System.Net.Http.Json;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

/// <summary>Who may call which management route: every refusal is problem+json, and authentication comes before
/// anything about the request (a bad body from an unknown key is 401, not 400).</summary>
public sealed class AccessTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    private const string WebhookBody = """{"url":"https://hooks.example.com/in","events":["sale.created"]}""";
    private const string TenantBody = """{"name":"Acme","owner":{"email":"a@example.com","name":"A"}}""";
    private const string UserBody = """{"email":"a@example.com","name":"A"}""";

    public static TheoryData<string, string, string?> TenantRoutes => new()
    {
        { "POST", "/v1/webhooks", WebhookBody },
        { "GET", "/v1/webhooks", null },
        { "GET", "/v1/webhooks/{id}", null },
        { "PATCH", "/v1/webhooks/{id}", """{"active":false}""" },
        { "DELETE", "/v1/webhooks/{id}", null },
        { "POST", "/v1/webhooks/{id}/rotate-secret", null },
        { "POST", "/v1/webhooks/{id}/ping", null },
        { "POST", "/v1/webhooks/{id}/recover", """{"since":"2020-01-01T00:00:00Z"}""" },
        { "POST", "/v1/events", """{"type":"sale.created","data":{}}""" },
        { "POST", "/v1/events/batch", """{"events":[{"type":"sale.created","data":{}}]}""" },
        { "GET", "/v1/deliveries", null },
        { "GET", "/v1/notifications", null },
        { "GET", "/v1/event-types", null },
        { "GET", "/v1/webhooks/{id}/stats", null },
        { "POST", "/v1/portal-links", null },
        { "POST", "/v1/portal-sessions", null },
        { "GET", "/v1/api-keys", null },
        { "POST", "/v1/api-keys", """{"name":"ci"}""" },
        { "DELETE", "/v1/api-keys/{keyId}", null },
    };

    public static TheoryData<string, string, string?> AllRoutes
    {
        get
        {
            var all = new TheoryData<string, string, string?>(TenantRoutes);
            all.Add("POST", "/v1/tenants", TenantBody);
            all.Add("POST", "/v1/users", UserBody);
            all.Add("GET", "/v1/users", null);
            all.Add("GET", "/v1/portal-sessions/current", null);
            all.Add("DELETE", "/v1/portal-sessions/current", null);
            return all;
        }
    }

    [Theory]
    [MemberData(nameof(AllRoutes))]
    public async Task Without_a_valid_key_every_route_is_401(string method, string route, string? json)
    {
        var id = await AnyWebhookIdAsync(route);
        foreach (var header in new string?[] { null, "Bearer " + ApiKeyGenerator.Generate(), "Bearer ", "Basic dXNlcjpwYXNz", "whk_no_scheme" })
        {
            using var client = Stack.CreateClient();
            var request = Build(method, route, id, json);
            if (header is not null) request.Headers.TryAddWithoutValidation("Authorization", header);
            var response = await client.SendAsync(request, Ct);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        }
    }

    [Theory]
    [MemberData(nameof(TenantRoutes))]
    public async Task The_admin_key_is_403_on_tenant_routes(string method, string route, string? json)
    {
        var id = await AnyWebhookIdAsync(route);
        using var admin = Stack.CreateAdminClient();
        await AssertProblemAsync(await admin.SendAsync(Build(method, route, id, json), Ct), HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TenantRoutes))]
    public async Task A_member_may_use_every_webhook_route(string method, string route, string? json)
    {
        var tenant = await CreateTenantAsync(Stack);
        var (_, memberKey) = await CreateMemberAsync(tenant);
        using var member = Stack.CreateClient(memberKey);
        var id = route.Contains("{keyId}")
            ? (await ReadAsync(await member.PostAsJsonAsync("/v1/api-keys", new { name = "spare" }, Ct), HttpStatusCode.Created)).GetProperty("id").GetGuid()
            : (await CreateWebhookAsync(member)).GetProperty("id").GetGuid();
        var response = await member.SendAsync(Build(method, route, id, json), Ct);
        Assert.True(response.IsSuccessStatusCode, $"{method} {route}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Only_the_owner_adds_users_and_only_the_admin_adds_tenants()
    {
        var tenant = await CreateTenantAsync(Stack);
        var (_, memberKey) = await CreateMemberAsync(tenant);
        using var member = Stack.CreateClient(memberKey);
        using var owner = tenant.OwnerClient();

        await AssertProblemAsync(await member.SendAsync(Build("POST", "/v1/users", Guid.Empty, UserBody), Ct), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await member.SendAsync(Build("GET", "/v1/users", Guid.Empty, null), Ct), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await member.SendAsync(Build("POST", "/v1/tenants", Guid.Empty, TenantBody), Ct), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await owner.SendAsync(Build("POST", "/v1/tenants", Guid.Empty, TenantBody), Ct), HttpStatusCode.Forbidden);
    }

    /// <summary>An id of what the route's <c>{id}</c> (a webhook) or <c>{keyId}</c> (an API key) names, in some tenant.</summary>
    private async Task<Guid> AnyWebhookIdAsync(string route)
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        if (route.Contains("{keyId}"))
            return (await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = "spare" }, Ct), HttpStatusCode.Created)).GetProperty("id").GetGuid();
        return (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
    }

    private static HttpRequestMessage Build(string method, string route, Guid id, string? json)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), route.Replace("{id}", id.ToString()).Replace("{keyId}", id.ToString()));
        if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        return request;
    }
}
