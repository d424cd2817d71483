using System.Net;
using System.Text.Json;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class WebhookReadTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    private static readonly string[] Shape =
    [
        "id", "url", "description", "events", "active", "consecutiveFailures", "lastSuccessAt", "lastFailureAt",
        "disabledAt", "disabledReason", "createdByUserId", "createdAt", "updatedAt",
    ];

    [Fact]
    public async Task Get_shows_the_webhook_and_never_its_secret()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var created = await CreateWebhookAsync(owner, description: "Shop");
        var id = created.GetProperty("id").GetGuid();

        var body = await ReadAsync(await owner.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.Equal(Shape.Order(), body.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("Shop", body.GetProperty("description").GetString());
        Assert.DoesNotContain(created.GetProperty("secret").GetString()!, body.GetRawText());
    }

    [Fact]
    public async Task List_shows_the_tenants_live_webhooks_newest_first_without_secrets()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var created = new List<JsonElement>();
        for (var i = 0; i < 3; i++) created.Add(await CreateWebhookAsync(owner, $"https://hooks.example.com/{i}"));
        var deleted = created[1].GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/webhooks/{deleted}", Ct)).StatusCode);

        var page = await ReadAsync(await owner.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK);
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
        Assert.Equal([created[2].GetProperty("id").GetGuid(), created[0].GetProperty("id").GetGuid()],
            items.Select(w => w.GetProperty("id").GetGuid()));
        Assert.All(items, w => Assert.Equal(Shape.Order(), w.EnumerateObject().Select(p => p.Name).Order()));
        foreach (var webhook in created) Assert.DoesNotContain(webhook.GetProperty("secret").GetString()!, page.GetRawText());
    }

    [Fact]
    public async Task An_empty_tenant_lists_nothing()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var page = await ReadAsync(await owner.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK);
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("01a21f3c-7b7e-7c5e-9d3a-2f6a1b2c3d4e")]
    [InlineData("not-a-guid")]
    [InlineData("12345")]
    public async Task Unknown_and_malformed_ids_are_404_problems(string id)
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        await AssertProblemAsync(await owner.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.PatchJsonAsync($"/v1/webhooks/{id}", new { active = false }), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.DeleteAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.PostAsync($"/v1/webhooks/{id}/rotate-secret", null, Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Reads_refuse_the_admin_key_and_unknown_keys()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var id = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
        using var admin = Stack.CreateAdminClient();
        using var anonymous = Stack.CreateClient();
        foreach (var uri in new[] { "/v1/webhooks", $"/v1/webhooks/{id}" })
        {
            await AssertProblemAsync(await admin.GetAsync(uri, Ct), HttpStatusCode.Forbidden);
            await AssertProblemAsync(await anonymous.GetAsync(uri, Ct), HttpStatusCode.Unauthorized);
        }
    }
}
