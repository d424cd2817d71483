using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Webhooks.Core;
using Webhooks.Core.Data;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Foundation;

[Collection(AppCollection.Name)]
public sealed class WholeAppTests(AppFixture fixture)
{
    [Fact]
    public async Task Api_and_dispatcher_answer_health_probes_through_service_discovery()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var resource in new[] { ResourceNames.Api, ResourceNames.Dispatcher })
        {
            using var client = fixture.App.CreateHttpClient(resource);
            var response = await client.GetAsync("/health", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(ct));
        }
    }

    [Fact]
    public async Task Api_reads_the_seeded_catalog_from_the_migrated_database()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = fixture.CreateApiClient();
        var unauthorized = await anonymous.GetAsync("/v1/event-types", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("application/problem+json", unauthorized.Content.Headers.ContentType?.MediaType);

        // The admin key is the AppHost's secret parameter, set by the fixture; it may not use tenant routes.
        using var admin = fixture.CreateApiClient(AppFixture.AdminApiKey);
        var forbidden = await admin.GetAsync("/v1/event-types", ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        // A tenant's key reads the catalog the initial migration seeded, every type with its description.
        var tenant = await admin.PostAsJsonAsync("/v1/tenants",
            new { name = "Catalog readers", owner = new { email = $"owner-{Guid.NewGuid():N}@example.com", name = "Owner" } }, ct);
        Assert.Equal(HttpStatusCode.Created, tenant.StatusCode);
        var key = (await tenant.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("apiKey").GetString()!;
        using var owner = fixture.CreateApiClient(key);
        var catalog = await owner.GetFromJsonAsync<JsonElement[]>("/v1/event-types", ct);
        Assert.Equal(EventCatalog.All.Select(t => (t.Name, t.Description)).OrderBy(t => t.Name, StringComparer.Ordinal),
            catalog!.Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("description").GetString()!)));
    }

    [Fact]
    public async Task Api_serves_the_openapi_document_and_the_reference_page()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.CreateApiClient();
        var document = await client.GetStringAsync("/swagger/v1/swagger.json", ct);
        Assert.Contains("/v1/event-types", document);
        var reference = await client.GetAsync("/reference/", ct);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Contains("text/html", reference.Content.Headers.ContentType?.ToString());
    }
}
