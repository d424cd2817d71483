using Webhooks.Client;
using Webhooks.Tests.Infrastructure;
using Webhooks.Tests.Management;

namespace Webhooks.Tests.Client;

/// <summary>The routes the tenant portal uses, through <see cref="WebhooksClient"/> against the real Api: portal links
/// and sessions, users, API keys, a webhook's stats and the deliveries' event-type and time filters.</summary>
public sealed class PortalThroughClientTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_link_opens_a_session_that_the_client_can_use_and_end()
    {
        using var admin = ClientHost.Create(fixture.Stack, TestStack.AdminApiKey);
        var tenant = await admin.Client.CreateTenantAsync(new NewTenant("Portal Co", new NewTenantOwner($"o-{Guid.NewGuid():N}@example.com", "Olive")), Ct);
        using var anonymous = ClientHost.Create(fixture.Stack, apiKey: null);
        var owner = anonymous.Client.WithApiKey(tenant.ApiKey);

        var link = await owner.CreatePortalLinkAsync(Ct);
        var token = Uri.UnescapeDataString(new Uri(link.Url).Query.Split("token=")[1]);
        var session = await anonymous.Client.RedeemPortalLinkAsync(token, Ct);
        Assert.Equal(("owner", "Portal Co"), (session.User.Role, session.Tenant.Name));
        var refused = await Assert.ThrowsAsync<WebhooksValidationException>(() => anonymous.Client.RedeemPortalLinkAsync(token, Ct));
        Assert.Contains("token", refused.Errors.Keys);

        var portal = anonymous.Client.WithApiKey(session.Token);
        Assert.Equal(session.Id, (await portal.GetCurrentPortalSessionAsync(Ct)).Id);
        var member = await portal.CreateUserAsync(new NewUser($"m-{Guid.NewGuid():N}@example.com", "Max"), Ct);
        Assert.Equal(["member", "owner"], (await portal.ListUsersAsync(ct: Ct)).Items.Select(u => u.Role));
        var key = await portal.CreateApiKeyAsync(new NewApiKey("ci", UserId: member.Id), Ct);
        Assert.StartsWith(key.Prefix, key.Key);
        Assert.Contains((await portal.ListApiKeysAsync(member.Id, ct: Ct)).Items, k => k.Id == key.Id && k.Name == "ci");
        await portal.RevokeApiKeyAsync(key.Id, Ct);
        Assert.DoesNotContain((await portal.ListApiKeysAsync(member.Id, ct: Ct)).Items, k => k.Id == key.Id);

        var keySession = await owner.OpenPortalSessionAsync(Ct);
        Assert.Equal(tenant.Owner.Id, keySession.User.Id);

        await portal.EndPortalSessionAsync(Ct);
        await Assert.ThrowsAsync<WebhooksUnauthorizedException>(() => portal.ListWebhooksAsync(ct: Ct));
    }

    [Fact]
    public async Task Stats_and_the_new_delivery_filters_come_through()
    {
        var tenant = await Seed.TenantAsync(fixture.Stack);
        var hook = await Seed.WebhookAsync(fixture.Stack, tenant, "https://a.example/hook", ["sale.created"]);
        using var host = ClientHost.Create(fixture.Stack, tenant.OwnerApiKey);
        await host.Client.PublishAsync("sale.created", System.Text.Json.JsonSerializer.SerializeToElement(new { saleId = 1 }), ct: Ct);

        var stats = await host.Client.GetWebhookStatsAsync(hook.WebhookId, 6, Ct);
        Assert.Equal(24, stats.Buckets.Count);
        Assert.Equal(900, stats.BucketSeconds);
        Assert.Equal(0, stats.Total.Attempts);
        Assert.Null(stats.Total.SuccessRate);

        Assert.Single((await host.Client.ListDeliveriesAsync(new DeliveryQuery(EventType: "sale.created"), Ct)).Items);
        Assert.Empty((await host.Client.ListDeliveriesAsync(new DeliveryQuery(EventType: "sale.refunded"), Ct)).Items);
        Assert.Empty((await host.Client.ListDeliveriesAsync(new DeliveryQuery(Until: DateTimeOffset.UtcNow.AddHours(-1)), Ct)).Items);
    }
}
