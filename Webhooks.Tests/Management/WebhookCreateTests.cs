using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class WebhookCreateTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    [Fact]
    public async Task Creates_a_webhook_and_returns_its_secret_once()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var response = await owner.PostAsJsonAsync("/v1/webhooks", new
        {
            url = "https://hooks.example.com/in?source=webhooks",
            events = new[] { "sale.created", "inventory.low_stock" },
            description = "Accounting",
        }, Ct);
        var body = await ReadAsync(response, HttpStatusCode.Created);

        var id = body.GetProperty("id").GetGuid();
        Assert.Equal($"/v1/webhooks/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("https://hooks.example.com/in?source=webhooks", body.GetProperty("url").GetString());
        Assert.Equal(["sale.created", "inventory.low_stock"], body.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Accounting", body.GetProperty("description").GetString());
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.Equal(0, body.GetProperty("consecutiveFailures").GetInt32());
        foreach (var empty in new[] { "lastSuccessAt", "lastFailureAt", "disabledAt", "disabledReason" })
            Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty(empty).ValueKind);
        Assert.Equal(tenant.OwnerUserId, body.GetProperty("createdByUserId").GetGuid());
        Assert.Equal(body.GetProperty("createdAt").GetDateTimeOffset(), body.GetProperty("updatedAt").GetDateTimeOffset());
        var secret = body.GetProperty("secret").GetString()!;
        Assert.StartsWith(WebhookSecret.Prefix, secret);
        Assert.Equal(48, WebhookSecret.StandardKey(secret).Length);

        // Read back exactly as created, minus the secret.
        var read = await ReadAsync(await owner.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.False(read.TryGetProperty("secret", out _));
        foreach (var property in read.EnumerateObject())
            Assert.Equal(body.GetProperty(property.Name).GetRawText(), property.Value.GetRawText());
    }

    [Fact]
    public async Task The_secret_is_stored_encrypted()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var body = await CreateWebhookAsync(owner);
        var id = body.GetProperty("id").GetGuid();
        var secret = body.GetProperty("secret").GetString()!;

        await using var db = Stack.CreateDbContext();
        var stored = await db.Database
            .SqlQuery<byte[]>($"SELECT secret_ciphertext AS \"Value\" FROM webhooks WHERE id = {id}").SingleAsync(Ct);
        Assert.DoesNotContain(secret, Encoding.UTF8.GetString(stored));
        Assert.DoesNotContain(secret[WebhookSecret.Prefix.Length..], Encoding.Latin1.GetString(stored));
        Assert.False(stored.AsSpan().IndexOf(WebhookSecret.StandardKey(secret)) >= 0, "the raw key bytes are in the row");
        Assert.Equal(secret, Stack.ApiServices.GetRequiredService<SecretProtector>().Unprotect(stored));
    }

    [Fact]
    public async Task Private_addresses_are_accepted_when_the_guard_is_off()
    {
        // The test stack sets Webhooks:Delivery:AllowPrivateNetworks=true, as local development does.
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var body = await CreateWebhookAsync(owner, "http://127.0.0.1:5001/hook");
        Assert.Equal("http://127.0.0.1:5001/hook", body.GetProperty("url").GetString());
        await CreateWebhookAsync(owner, "http://localhost/hook");
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"events":["sale.created"]}""", "url" },
        { """{"url":"","events":["sale.created"]}""", "url" },
        { """{"url":"/relative/path","events":["sale.created"]}""", "url" },
        { """{"url":"hooks.example.com/in","events":["sale.created"]}""", "url" },
        { """{"url":"ftp://hooks.example.com/in","events":["sale.created"]}""", "url" },
        { """{"url":"file:///etc/passwd","events":["sale.created"]}""", "url" },
        { """{"url":"https://user:pass@hooks.example.com/in","events":["sale.created"]}""", "url" },
        { """{"url":"https://user@hooks.example.com/in","events":["sale.created"]}""", "url" },
        { """{"url":"http://","events":["sale.created"]}""", "url" },
        { $$"""{"url":"https://hooks.example.com/{{new string('a', 2048)}}","events":["sale.created"]}""", "url" },
        { """{"url":42,"events":["sale.created"]}""", "url" },
        { """{"url":"https://hooks.example.com/in"}""", "events" },
        { """{"url":"https://hooks.example.com/in","events":[]}""", "events" },
        { """{"url":"https://hooks.example.com/in","events":null}""", "events" },
        { """{"url":"https://hooks.example.com/in","events":"sale.created"}""", "events" },
        { """{"url":"https://hooks.example.com/in","events":["sale.created","no.such.type"]}""", "events[1]" },
        { """{"url":"https://hooks.example.com/in","events":["Sale.Created"]}""", "events[0]" },
        { """{"url":"https://hooks.example.com/in","events":["webhook.ping"]}""", "events[0]" },
        { """{"url":"https://hooks.example.com/in","events":["sale.created","sale.updated","sale.created"]}""", "events[2]" },
        { """{"url":"https://hooks.example.com/in","events":["sale.created",null]}""", "events[1]" },
        { """{"url":"https://hooks.example.com/in","events":["sale.created",7]}""", "events[1]" },
        { $$"""{"url":"https://hooks.example.com/in","events":["sale.created"],"description":"{{new string('d', 501)}}"}""", "description" },
        { """{"url":"https://hooks.example.com/in","events":["sale.created"],"description":{}}""", "description" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_fields_are_400_naming_the_field(string json, string field)
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        await AssertProblemAsync(await owner.SendJsonAsync(HttpMethod.Post, "/v1/webhooks", json), HttpStatusCode.BadRequest, field);
        await using var db = Stack.CreateDbContext();
        Assert.False(await db.Webhooks.AnyAsync(w => w.TenantId == tenant.TenantId, Ct));
    }

    [Fact]
    public async Task Limits_are_inclusive()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var url = "https://hooks.example.com/" + new string('a', 2048 - "https://hooks.example.com/".Length);
        var all = Webhooks.Core.Data.EventCatalog.All.Select(t => t.Name).Where(n => n != "webhook.ping").ToArray();
        var body = await CreateWebhookAsync(owner, url, all, new string('d', 500));
        Assert.Equal(2048, body.GetProperty("url").GetString()!.Length);
        Assert.Equal(12, body.GetProperty("events").GetArrayLength());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"url":"https://hooks.example.com/in","events":["sale.created"]""")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task Malformed_json_is_a_400_problem(string json)
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        await AssertProblemAsync(await owner.SendJsonAsync(HttpMethod.Post, "/v1/webhooks", json), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_problem()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var textPlain = await owner.PostAsync("/v1/webhooks", new StringContent("""{"url":"https://a.example.com"}"""), Ct);
        await AssertProblemAsync(textPlain, HttpStatusCode.UnsupportedMediaType);

        var noContentType = new ByteArrayContent("""{"url":"https://a.example.com"}"""u8.ToArray());
        await AssertProblemAsync(await owner.PostAsync("/v1/webhooks", noContentType, Ct), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Tenant_routes_refuse_the_admin_key_and_unknown_keys()
    {
        var body = new { url = ReceiverUrl, events = new[] { "sale.created" } };
        using var admin = Stack.CreateAdminClient();
        await AssertProblemAsync(await admin.PostAsJsonAsync("/v1/webhooks", body, Ct), HttpStatusCode.Forbidden);
        using var anonymous = Stack.CreateClient();
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/v1/webhooks", body, Ct), HttpStatusCode.Unauthorized);
        using var wrongKey = Stack.CreateClient(ApiKeyGenerator.Generate());
        await AssertProblemAsync(await wrongKey.PostAsJsonAsync("/v1/webhooks", body, Ct), HttpStatusCode.Unauthorized);
    }
}
