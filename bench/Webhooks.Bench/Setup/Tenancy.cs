using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Webhooks.Bench.Hosting;
using Webhooks.Bench.Load;

namespace Webhooks.Bench.Setup;

internal sealed record BenchTenant(Guid Id, Guid OwnerId, string ApiKey);

/// <summary>
/// Creates the bench's tenants and webhooks through the management API (<c>POST /v1/tenants</c> with the admin key,
/// <c>POST /v1/webhooks</c> with the tenant's key), as a user would.
/// </summary>
internal sealed class Tenancy(SystemUnderTest sut) : IDisposable
{
    private readonly HttpClient _http = Http.Create(sut.ApiAddress, connections: 4);

    public async Task<BenchTenant> CreateTenantAsync(string name, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tenants")
        {
            Content = JsonContent.Create(new { name, owner = new { email = $"owner@{name}.bench.example", name = "Bench owner" } }),
        };
        request.Headers.Authorization = new("Bearer", SystemUnderTest.AdminApiKey);
        using var response = await _http.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /v1/tenants answered {await Http.DescribeAsync(response, ct)}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        var root = json.RootElement;
        return new BenchTenant(root.GetProperty("id").GetGuid(), root.GetProperty("owner").GetProperty("id").GetGuid(),
            root.GetProperty("apiKey").GetString()!);
    }

    public async Task<Guid> CreateWebhookAsync(BenchTenant tenant, string url, string[] events, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks")
        {
            Content = JsonContent.Create(new { url, events, description = "bench" }),
        };
        request.Headers.Authorization = new("Bearer", tenant.ApiKey);
        using var response = await _http.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /v1/webhooks answered {await Http.DescribeAsync(response, ct)}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        return json.RootElement.GetProperty("id").GetGuid();
    }

    public void Dispose() => _http.Dispose();
}
