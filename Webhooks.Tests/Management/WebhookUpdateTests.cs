using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class WebhookUpdateTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    /// <summary>A new tenant's owner client and one webhook of that tenant.</summary>
    private async Task<Arranged> ArrangeAsync()
    {
        var tenant = await CreateTenantAsync(Stack);
        var client = tenant.OwnerClient();
        return new Arranged(client, await CreateWebhookAsync(client, events: ["sale.created"], description: "Before"));
    }

    private sealed record Arranged(HttpClient Client, JsonElement Webhook) : IDisposable
    {
        public Guid Id => Webhook.GetProperty("id").GetGuid();
        public void Dispose() => Client.Dispose();
    }

    [Fact]
    public async Task Changes_only_the_fields_sent()
    {
        using var arranged = await ArrangeAsync();
        var (client, webhook, id) = (arranged.Client, arranged.Webhook, arranged.Id);

        var body = await ReadAsync(await client.PatchJsonAsync($"/v1/webhooks/{id}",
            new { url = "https://other.example.com/in", events = new[] { "customer.created", "customer.updated" } }), HttpStatusCode.OK);

        Assert.Equal("https://other.example.com/in", body.GetProperty("url").GetString());
        Assert.Equal(["customer.created", "customer.updated"], body.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Before", body.GetProperty("description").GetString());
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.False(body.TryGetProperty("secret", out _));
        Assert.Equal(webhook.GetProperty("createdAt").GetDateTimeOffset(), body.GetProperty("createdAt").GetDateTimeOffset());
        Assert.True(body.GetProperty("updatedAt").GetDateTimeOffset() > webhook.GetProperty("updatedAt").GetDateTimeOffset());

        var read = await ReadAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.Equal(body.GetRawText(), read.GetRawText());
    }

    [Fact]
    public async Task Description_null_clears_it_and_absent_keeps_it()
    {
        using var arranged = await ArrangeAsync();
        var (client, webhook, id) = (arranged.Client, arranged.Webhook, arranged.Id);

        var kept = await ReadAsync(await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhooks/{id}", """{"active":true}"""), HttpStatusCode.OK);
        Assert.Equal("Before", kept.GetProperty("description").GetString());

        var changed = await ReadAsync(await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhooks/{id}", """{"description":"After"}"""), HttpStatusCode.OK);
        Assert.Equal("After", changed.GetProperty("description").GetString());

        var cleared = await ReadAsync(await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhooks/{id}", """{"description":null}"""), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("description").ValueKind);
        await using var db = Stack.CreateDbContext();
        Assert.Null((await db.Webhooks.SingleAsync(w => w.Id == id, Ct)).Description);
    }

    [Fact]
    public async Task An_empty_body_changes_nothing()
    {
        using var arranged = await ArrangeAsync();
        var (client, webhook, id) = (arranged.Client, arranged.Webhook, arranged.Id);
        var before = await ReadAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);

        var body = await ReadAsync(await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhooks/{id}", "{}"), HttpStatusCode.OK);
        Assert.Equal(before.GetRawText(), body.GetRawText());
        // Sending the current values is no change either: updatedAt stays.
        var same = await ReadAsync(await client.PatchJsonAsync($"/v1/webhooks/{id}",
            new { url = ReceiverUrl, events = new[] { "sale.created" }, description = "Before", active = true }), HttpStatusCode.OK);
        Assert.Equal(before.GetRawText(), same.GetRawText());
    }

    [Fact]
    public async Task Active_false_deactivates_and_active_true_re_enables_a_disabled_webhook()
    {
        using var arranged = await ArrangeAsync();
        var (client, webhook, id) = (arranged.Client, arranged.Webhook, arranged.Id);

        var off = await ReadAsync(await client.PatchJsonAsync($"/v1/webhooks/{id}", new { active = false }), HttpStatusCode.OK);
        Assert.False(off.GetProperty("active").GetBoolean());
        Assert.Equal(JsonValueKind.Null, off.GetProperty("disabledAt").ValueKind);

        // As the Dispatcher leaves it after 10 failures in a row.
        var disabledAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        await using (var db = Stack.CreateDbContext())
        {
            await db.Webhooks.Where(w => w.Id == id).ExecuteUpdateAsync(u => u
                .SetProperty(w => w.Active, false)
                .SetProperty(w => w.ConsecutiveFailures, 10)
                .SetProperty(w => w.DisabledAt, disabledAt)
                .SetProperty(w => w.DisabledReason, "10 consecutive failures")
                .SetProperty(w => w.LastFailureAt, disabledAt), Ct);
        }
        var disabled = await ReadAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.Equal(10, disabled.GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal("10 consecutive failures", disabled.GetProperty("disabledReason").GetString());

        var on = await ReadAsync(await client.PatchJsonAsync($"/v1/webhooks/{id}", new { active = true }), HttpStatusCode.OK);
        Assert.True(on.GetProperty("active").GetBoolean());
        Assert.Equal(0, on.GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal(JsonValueKind.Null, on.GetProperty("disabledAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, on.GetProperty("disabledReason").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, on.GetProperty("lastFailureAt").ValueKind); // history stays

        await using var check = Stack.CreateDbContext();
        var row = await check.Webhooks.SingleAsync(w => w.Id == id, Ct);
        Assert.True(row.Active);
        Assert.Equal(0, row.ConsecutiveFailures);
        Assert.Null(row.DisabledAt);
        Assert.Null(row.DisabledReason);
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"url":null}""", "url" },
        { """{"url":""}""", "url" },
        { """{"url":"not a url"}""", "url" },
        { """{"url":"ftp://hooks.example.com"}""", "url" },
        { """{"url":"https://u:p@hooks.example.com"}""", "url" },
        { $$"""{"url":"https://hooks.example.com/{{new string('a', 2048)}}"}""", "url" },
        { """{"events":null}""", "events" },
        { """{"events":[]}""", "events" },
        { """{"events":["nope"]}""", "events[0]" },
        { """{"events":["sale.created","webhook.ping"]}""", "events[1]" },
        { """{"events":["sale.created","sale.created"]}""", "events[1]" },
        { $$"""{"description":"{{new string('d', 501)}}"}""", "description" },
        { """{"active":null}""", "active" },
        { """{"active":"yes"}""", "active" },
        { """{"events":"sale.created"}""", "events" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_fields_are_400_naming_the_field_and_change_nothing(string json, string field)
    {
        using var arranged = await ArrangeAsync();
        var (client, webhook, id) = (arranged.Client, arranged.Webhook, arranged.Id);
        var before = await ReadAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);

        await AssertProblemAsync(await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhooks/{id}", json), HttpStatusCode.BadRequest, field);
        var after = await ReadAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.Equal(before.GetRawText(), after.GetRawText());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("""{"url":"https://a.example.com",}""")]
    public async Task Malformed_json_is_a_400_problem(string json)
    {
        using var arranged = await ArrangeAsync();
        var (client, webhook, id) = (arranged.Client, arranged.Webhook, arranged.Id);
        var response = await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhooks/{id}", json);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Any_user_of_the_tenant_may_update_its_webhooks()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var id = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
        var (_, memberKey) = await CreateMemberAsync(tenant);
        using var member = Stack.CreateClient(memberKey);

        var body = await ReadAsync(await member.PatchJsonAsync($"/v1/webhooks/{id}", new { description = "by member" }), HttpStatusCode.OK);
        Assert.Equal("by member", body.GetProperty("description").GetString());
        Assert.Equal(tenant.OwnerUserId, body.GetProperty("createdByUserId").GetGuid());
    }

    [Fact]
    public async Task A_change_racing_a_disable_answers_the_row_as_the_disable_left_it()
    {
        using var arranged = await ArrangeAsync();
        var (client, id) = (arranged.Client, arranged.Id);

        // The Dispatcher's side of the race: a disable, held open (uncommitted) while the PATCH arrives.
        await using var db = Stack.CreateDbContext();
        await using (var disable = await db.Database.BeginTransactionAsync(Ct))
        {
            await db.Database.ExecuteSqlAsync(
                $"UPDATE webhooks SET active = false, disabled_at = now(), disabled_reason = 'test' WHERE id = {id}", Ct);
            var patch = client.PatchJsonAsync($"/v1/webhooks/{id}", new { description = "During" });
            await Eventually.True(async () => await db.Database.SqlQuery<int>($"""
                SELECT count(*)::int AS "Value" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                """).SingleAsync(Ct) > 0, "the PATCH to wait for the webhook's row");
            await disable.CommitAsync(Ct);

            var body = await ReadAsync(await patch, HttpStatusCode.OK);
            Assert.Equal("During", body.GetProperty("description").GetString());
            Assert.False(body.GetProperty("active").GetBoolean());
            Assert.Equal("test", body.GetProperty("disabledReason").GetString());
        }
        var read = await ReadAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.False(read.GetProperty("active").GetBoolean());
    }
}
