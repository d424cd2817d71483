using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Management;

/// <summary>Tenants, users and webhooks made through the management API itself, plus assertions on its answers.</summary>
internal static class ManagementApi
{
    public const string ReceiverUrl = "https://hooks.example.com/receiver";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<ApiTenant> CreateTenantAsync(TestStack stack, string name = "Acme")
    {
        using var admin = stack.CreateAdminClient();
        var response = await admin.PostAsJsonAsync("/v1/tenants",
            new { name, owner = new { email = $"owner-{Guid.NewGuid():N}@example.com", name = "Olive Owner" } }, Ct);
        var body = await ReadAsync(response, HttpStatusCode.Created);
        return new ApiTenant(stack, body.GetProperty("id").GetGuid(), body.GetProperty("owner").GetProperty("id").GetGuid(),
            body.GetProperty("apiKey").GetString()!);
    }

    /// <summary>A member (not the owner) of the tenant, with the member's key.</summary>
    public static async Task<(Guid UserId, string ApiKey)> CreateMemberAsync(ApiTenant tenant, string? email = null)
    {
        using var owner = tenant.OwnerClient();
        var response = await owner.PostAsJsonAsync("/v1/users",
            new { email = email ?? $"member-{Guid.NewGuid():N}@example.com", name = "Max Member" }, Ct);
        var body = await ReadAsync(response, HttpStatusCode.Created);
        return (body.GetProperty("id").GetGuid(), body.GetProperty("apiKey").GetString()!);
    }

    public static async Task<JsonElement> CreateWebhookAsync(HttpClient client, string url = ReceiverUrl,
        string[]? events = null, string? description = null)
    {
        var response = await client.PostAsJsonAsync("/v1/webhooks",
            new { url, events = events ?? ["sale.created"], description }, Ct);
        return await ReadAsync(response, HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string uri, string json) =>
        client.SendAsync(new HttpRequestMessage(method, uri) { Content = new StringContent(json, Encoding.UTF8, "application/json") }, Ct);

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string uri, object body) =>
        client.PatchAsJsonAsync(uri, body, Ct);

    /// <summary>Asserts the status and returns the JSON body (a copy that outlives the response).</summary>
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with the status and, when given, an entry in <c>errors</c> naming each field.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, params string[] fields)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        foreach (var field in fields)
        {
            var names = problem.TryGetProperty("errors", out var errors)
                ? errors.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList()
                : [];
            Assert.True(names.Contains(field), $"Expected an error naming '{field}', got [{string.Join(", ", names)}]: {text}");
        }
        return problem;
    }
}

internal sealed record ApiTenant(TestStack Stack, Guid TenantId, Guid OwnerUserId, string OwnerApiKey)
{
    public HttpClient OwnerClient() => Stack.CreateClient(OwnerApiKey);
}
