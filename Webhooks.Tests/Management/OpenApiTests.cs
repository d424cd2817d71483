using System.Net;
using System.Text.Json;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

/// <summary>The OpenAPI document describes every management route: summary, request body, success and error shapes.</summary>
public sealed class OpenApiTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, int, string?, int[]> Routes => new()
    {
        { "post", "/v1/tenants", 201, "TenantsCreateRequest", [400, 401, 403] },
        { "post", "/v1/users", 201, "UsersCreateRequest", [400, 401, 403, 409] },
        { "post", "/v1/webhooks", 201, "WebhooksCreateRequest", [400, 401, 403] },
        { "get", "/v1/webhooks", 200, null, [400, 401, 403] },
        { "get", "/v1/webhooks/{id}", 200, null, [401, 403, 404] },
        { "patch", "/v1/webhooks/{id}", 200, "WebhooksUpdateRequest", [400, 401, 403, 404] },
        { "delete", "/v1/webhooks/{id}", 204, null, [401, 403, 404] },
        { "post", "/v1/webhooks/{id}/rotate-secret", 200, "WebhooksRotateSecretRequest", [400, 401, 403, 404] },
        { "post", "/v1/webhooks/{id}/ping", 202, null, [401, 403, 404, 409] },
        { "post", "/v1/webhooks/{id}/recover", 202, "WebhooksRecoverRequest", [400, 401, 403, 404, 409] },
        { "post", "/v1/events", 202, "EventsPublishRequest", [400, 401, 403, 413] },
        { "post", "/v1/events/batch", 202, "EventsPublishBatchRequest", [400, 401, 403, 413] },
        { "get", "/v1/events/{id}", 200, null, [401, 403, 404] },
        { "get", "/v1/deliveries", 200, null, [400, 401, 403] },
        { "get", "/v1/deliveries/{id}", 200, null, [401, 403, 404] },
        { "post", "/v1/deliveries/{id}/retry", 202, null, [401, 403, 404, 409] },
        { "get", "/v1/api-keys", 200, null, [400, 401, 403] },
        { "post", "/v1/api-keys", 201, "ApiKeysCreateRequest", [400, 401, 403, 404] },
        { "delete", "/v1/api-keys/{id}", 204, null, [401, 403, 404, 409] },
    };

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = fixture.Stack.CreateClient();
        return await ReadAsync(await client.GetAsync("/swagger/v1/swagger.json", Ct), HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_route_is_documented_with_its_shapes(string method, string path, int success, string? requestSchema, int[] errors)
    {
        var document = await DocumentAsync();
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is not in the document");
        Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is not in the document");

        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()));
        Assert.Contains(operation.GetProperty("tags").EnumerateArray(), t => t.GetString() is "Webhooks" or "Tenants" or "Users" or "Events" or "Deliveries" or "API Keys");
        if (path.Contains("{id}"))
        {
            var id = operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "id");
            Assert.Equal("path", id.GetProperty("in").GetString());
        }
        if (requestSchema is not null)
        {
            var schema = operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.Equal($"#/components/schemas/{requestSchema}", schema.GetProperty("$ref").GetString());
        }

        var responses = operation.GetProperty("responses");
        var ok = responses.GetProperty(success.ToString());
        Assert.False(string.IsNullOrWhiteSpace(ok.GetProperty("description").GetString()));
        if (success != 204) Assert.True(ok.GetProperty("content").GetProperty("application/json").GetProperty("schema").TryGetProperty("$ref", out _));
        foreach (var status in errors)
        {
            Assert.True(responses.TryGetProperty(status.ToString(), out var error), $"{method} {path} does not document {status}");
            var schema = error.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
            Assert.Equal("#/components/schemas/ProblemDetails", schema.GetProperty("$ref").GetString());
        }
    }

    [Fact]
    public async Task The_api_key_shape_never_has_the_key_except_on_creation()
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");
        Assert.Equal(new[] { "id", "name", "prefix", "userId", "createdAt", "lastUsedAt", "expiresAt" }.Order(),
            schemas.GetProperty("ApiKeyResponse").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
        var created = schemas.GetProperty("ApiKeysCreateResponse").GetRawText();
        Assert.Contains("#/components/schemas/ApiKeyResponse", created);
        Assert.Contains("\"key\"", created);
    }

    [Fact]
    public async Task The_webhook_shape_is_documented_once_and_never_with_a_secret()
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");
        var webhook = schemas.GetProperty("WebhookResponse").GetProperty("properties");
        Assert.Equal(
            new[] { "id", "url", "description", "events", "active", "consecutiveFailures", "lastSuccessAt", "lastFailureAt",
                "disabledAt", "disabledReason", "createdByUserId", "createdAt", "updatedAt" }.Order(),
            webhook.EnumerateObject().Select(p => p.Name).Order());

        // The create response is that shape plus the secret.
        var created = schemas.GetProperty("WebhooksCreateResponse").GetRawText();
        Assert.Contains("#/components/schemas/WebhookResponse", created);
        Assert.Contains("\"secret\"", created);
        Assert.Contains("#/components/schemas/WebhookResponse", schemas.GetProperty("PageOfWebhookResponse").GetRawText());
    }

    [Fact]
    public async Task Schema_names_are_unique_without_numbering()
    {
        var names = (await DocumentAsync()).GetProperty("components").GetProperty("schemas").EnumerateObject().Select(p => p.Name).ToList();
        Assert.DoesNotContain(names, n => char.IsDigit(n[^1]));
    }
}
