using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Webhooks.Core.Data.Entities;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Alerts;

public sealed class NotificationsApiTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Users_see_and_mark_read_only_their_own_notifications()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var member = await Seed.UserAsync(stack, tenant);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"], createdBy: member.UserId);
        for (var i = 1; i <= 5; i++) await Failures.RecordAsync(stack, webhook.WebhookId, 502);
        var otherTenant = await Seed.TenantAsync(stack, "Globex");
        var otherWebhook = await Seed.WebhookAsync(stack, otherTenant, Failures.Url, ["sale.created"]);
        for (var i = 1; i <= 3; i++) await Failures.RecordAsync(stack, otherWebhook.WebhookId);
        using var memberClient = stack.CreateClient(member.ApiKey);
        using var ownerClient = stack.CreateClient(tenant.OwnerApiKey);

        var page = await GetAsync(memberClient, "/v1/notifications");
        Assert.Equal(2, page.Items.Length);
        Assert.Null(page.NextCursor);
        var (fifth, third) = (page.Items[0], page.Items[1]);
        Assert.Equal(5, fifth.GetProperty("details").GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal(3, third.GetProperty("details").GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal(502, third.GetProperty("details").GetProperty("lastStatusCode").GetInt32());
        Assert.Equal(webhook.WebhookId, third.GetProperty("webhookId").GetGuid());
        Assert.Equal("webhook.failing", third.GetProperty("kind").GetString());
        Assert.Equal($"Webhook {Failures.Url} has failed 3 times in a row (last: HTTP 502).", third.GetProperty("message").GetString());
        Assert.True(third.GetProperty("createdAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(JsonValueKind.Null, third.GetProperty("readAt").ValueKind);

        var thirdId = third.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await memberClient.PostAsync($"/v1/notifications/{thirdId}/read", null, ct)).StatusCode);
        var readAt = (await GetAsync(memberClient, "/v1/notifications")).Items[1].GetProperty("readAt").GetDateTimeOffset();
        Assert.Equal(HttpStatusCode.NoContent, (await memberClient.PostAsync($"/v1/notifications/{thirdId}/read", null, ct)).StatusCode);
        Assert.Equal(readAt, (await GetAsync(memberClient, "/v1/notifications")).Items[1].GetProperty("readAt").GetDateTimeOffset());

        var unread = await GetAsync(memberClient, "/v1/notifications?unread=true");
        Assert.Equal([fifth.GetProperty("id").GetGuid()], unread.Items.Select(n => n.GetProperty("id").GetGuid()));
        // The owner got alerts of their own about the same webhook, and reading the member's left them unread.
        Assert.Equal(2, (await GetAsync(ownerClient, "/v1/notifications?unread=true")).Items.Length);

        var ownersId = (await GetAsync(ownerClient, "/v1/notifications")).Items[0].GetProperty("id").GetGuid();
        var otherTenantsId = (await Failures.NotificationsAsync(stack, otherWebhook.WebhookId)).Single().Id;
        foreach (var id in new[] { ownersId, otherTenantsId, Guid.CreateVersion7() })
        {
            var response = await memberClient.PostAsync($"/v1/notifications/{id}/read", null, ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(2, (await GetAsync(ownerClient, "/v1/notifications?unread=true")).Items.Length);
    }

    [Fact]
    public async Task Lists_page_newest_first_and_both_routes_need_a_key()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, Failures.Url, ["sale.created"]);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var ids = new List<Guid>();
        await using (var db = stack.CreateDbContext())
        {
            for (var i = 0; i < 5; i++)
            {
                var at = start.AddMinutes(i);
                var notification = new Notification
                {
                    Id = Guid.CreateVersion7(at), TenantId = tenant.TenantId, UserId = tenant.OwnerUserId, WebhookId = webhook.WebhookId,
                    Kind = NotificationKinds.WebhookFailing, Message = $"n{i}", Details = "{}", DedupKey = $"test:{i}", CreatedAt = at,
                };
                db.Notifications.Add(notification);
                ids.Add(notification.Id);
            }
            await db.SaveChangesAsync(ct);
        }
        using var client = stack.CreateClient(tenant.OwnerApiKey);

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await GetAsync(client, "/v1/notifications?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.True(page.Items.Length <= 2);
            seen.AddRange(page.Items.Select(n => n.GetProperty("id").GetGuid()));
            cursor = page.NextCursor;
            pages++;
        } while (cursor is not null);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(ids), seen);

        var badLimit = await client.GetAsync("/v1/notifications?limit=0", ct);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Contains("limit", await badLimit.Content.ReadAsStringAsync(ct), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/notifications?cursor=nope", ct)).StatusCode);

        using var anonymous = stack.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/notifications", ct)).StatusCode);
        var unauthorized = await anonymous.PostAsync($"/v1/notifications/{ids[0]}/read", null, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("application/problem+json", unauthorized.Content.Headers.ContentType?.MediaType);
        var openApi = await anonymous.GetStringAsync("/swagger/v1/swagger.json", ct);
        Assert.Contains("/v1/notifications/{id}/read", openApi);

        using var admin = stack.CreateAdminClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync("/v1/notifications", ct)).StatusCode);
    }

    private static async Task<(JsonElement[] Items, string? NextCursor)> GetAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var next = body.GetProperty("nextCursor");
        return ([.. body.GetProperty("items").EnumerateArray()], next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }
}
