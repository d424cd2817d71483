using Microsoft.EntityFrameworkCore;
using Webhooks.Client;
using Webhooks.Events;
using Webhooks.Tests.Alerts;
using Webhooks.Tests.Infrastructure;
using Webhooks.Tests.Management;
using Webhooks.Tests.Publishing;
using DeliveryStatus = Webhooks.Client.DeliveryStatus;

namespace Webhooks.Tests.Client;

/// <summary>Every management route through <see cref="WebhooksClient"/> against the real Api, and its errors as typed
/// exceptions.</summary>
public sealed class ManagementThroughClientTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ClientHost Host(string? apiKey = null) => ClientHost.Create(fixture.Stack, apiKey);

    private async Task<CreatedTenant> CreateTenantAsync()
    {
        using var host = Host(TestStack.AdminApiKey);
        return await host.Client.CreateTenantAsync(new NewTenant("Acme Repairs", new NewTenantOwner($"owner-{Guid.NewGuid():N}@example.com", "Olive")), Ct);
    }

    [Fact]
    public async Task Tenants_and_users_are_created_and_their_keys_work()
    {
        var tenant = await CreateTenantAsync();
        Assert.Equal("Acme Repairs", tenant.Name);
        Assert.Equal("Olive", tenant.Owner.Name);

        using var owner = Host(tenant.ApiKey);
        var email = $"member-{Guid.NewGuid():N}@example.com";
        var member = await owner.Client.CreateUserAsync(new NewUser(email, "Max"), Ct);
        Assert.Equal(email, member.Email);

        // WithApiKey: the same client, another caller.
        var asMember = owner.Client.WithApiKey(member.ApiKey);
        Assert.Empty((await asMember.ListWebhooksAsync(ct: Ct)).Items);
        await Assert.ThrowsAsync<WebhooksForbiddenException>(() => asMember.CreateUserAsync(new NewUser($"x-{Guid.NewGuid():N}@example.com", "X"), Ct));
        var duplicate = await Assert.ThrowsAsync<WebhooksConflictException>(() => owner.Client.CreateUserAsync(new NewUser(email, "Again"), Ct));
        Assert.Contains("email", duplicate.Errors.Keys);
        await Assert.ThrowsAsync<WebhooksUnauthorizedException>(() => owner.Client.WithApiKey("whk_not-a-key").ListWebhooksAsync(ct: Ct));
        await Assert.ThrowsAsync<WebhooksForbiddenException>(() =>
            owner.Client.CreateTenantAsync(new NewTenant("Nope", new NewTenantOwner("n@example.com", "N")), Ct));
    }

    [Fact]
    public async Task Webhooks_are_created_listed_read_updated_rotated_pinged_recovered_and_deleted()
    {
        var tenant = await CreateTenantAsync();
        using var host = Host(tenant.ApiKey);
        var client = host.Client;

        var created = await client.CreateWebhookAsync(new NewWebhook("https://hooks.example.com/a", [SaleCreated.Type], "Orders"), Ct);
        Assert.StartsWith("whsec_", created.Secret);
        Assert.Equal((true, "Orders", 0), (created.Active, created.Description, created.ConsecutiveFailures));
        var second = await client.CreateWebhookAsync(new NewWebhook("https://hooks.example.com/b", [RepairOrderStatusChanged.Type]), Ct);

        var first = await client.ListWebhooksAsync(limit: 1, ct: Ct);
        Assert.Equal(second.Id, Assert.Single(first.Items).Id);
        var next = await client.ListWebhooksAsync(limit: 1, cursor: first.NextCursor, ct: Ct);
        Assert.Equal(created.Id, Assert.Single(next.Items).Id);
        Assert.Null(next.NextCursor);
        Assert.Equal(created.Url, (await client.GetWebhookAsync(created.Id, Ct)).Url);

        var updated = await client.UpdateWebhookAsync(created.Id,
            new WebhookUpdate { Events = [SaleCreated.Type, SaleRefunded.Type], Active = false }, Ct);
        Assert.Equal((false, "Orders"), (updated.Active, updated.Description)); // a field left out stays
        Assert.Equal([SaleCreated.Type, SaleRefunded.Type], updated.Events);
        var cleared = await client.UpdateWebhookAsync(created.Id, new WebhookUpdate { ClearDescription = true, Active = true }, Ct);
        Assert.Equal((true, null), (cleared.Active, cleared.Description));
        var invalid = await Assert.ThrowsAsync<WebhooksValidationException>(() =>
            client.UpdateWebhookAsync(created.Id, new WebhookUpdate { Url = "ftp://nope", Events = ["sale.created", "nope"] }, Ct));
        Assert.Contains("url", invalid.Errors.Keys);
        Assert.Contains("events[1]", invalid.Errors.Keys);

        var rotated = await client.RotateWebhookSecretAsync(created.Id, TimeSpan.FromHours(1), Ct);
        Assert.NotEqual(created.Secret, rotated.Secret);
        Assert.NotNull(rotated.PreviousSecretExpiresAt);
        Assert.Null((await client.RotateWebhookSecretAsync(created.Id, TimeSpan.Zero, Ct)).PreviousSecretExpiresAt);

        var ping = await client.PingWebhookAsync(created.Id, Ct);
        var pingEvent = await client.GetEventAsync(ping.EventId, Ct);
        Assert.Equal(WebhookPing.Type, pingEvent.Type);
        Assert.Equal(created.Id, pingEvent.DataAs<WebhookPing>().WebhookId);
        Assert.Equal(ping.DeliveryId, Assert.Single(pingEvent.Deliveries).Id);

        var published = await client.PublishAsync(SaleCreated.Example, ct: Ct);
        var deliveryId = Assert.Single(published.Deliveries).Id;
        await PublishingTestData.SetStateAsync(fixture.Stack, deliveryId, Core.Data.Entities.DeliveryStatus.Failed, attempts: 6);
        var recovered = await client.RecoverWebhookAsync(created.Id, DateTimeOffset.UtcNow.AddHours(-1), ct: Ct);
        Assert.Equal(1, recovered.Requeued);
        Assert.Equal(DeliveryStatus.Retrying, (await client.GetDeliveryAsync(deliveryId, Ct)).Status);

        await client.DeleteWebhookAsync(second.Id, Ct);
        await Assert.ThrowsAsync<WebhooksNotFoundException>(() => client.GetWebhookAsync(second.Id, Ct));
        var gone = await Assert.ThrowsAsync<WebhooksNotFoundException>(() => client.DeleteWebhookAsync(second.Id, Ct));
        Assert.Equal(404, gone.Status);
    }

    [Fact]
    public async Task Deliveries_are_listed_filtered_read_and_retried()
    {
        var tenant = await CreateTenantAsync();
        using var host = Host(tenant.ApiKey);
        var client = host.Client;
        var webhook = await client.CreateWebhookAsync(new NewWebhook("https://hooks.example.com/d", [SaleCreated.Type, SaleUpdated.Type]), Ct);
        var sale = await client.PublishAsync(SaleCreated.Example, ct: Ct);
        var update = await client.PublishAsync(SaleUpdated.Example, ct: Ct);
        var saleDelivery = sale.Deliveries.Single().Id;
        await PublishingTestData.SetStateAsync(fixture.Stack, saleDelivery, Core.Data.Entities.DeliveryStatus.Failed, attempts: 2);

        var all = await client.ListDeliveriesAsync(new DeliveryQuery(WebhookId: webhook.Id), Ct);
        Assert.Equal([update.Deliveries.Single().Id, saleDelivery], all.Items.Select(d => d.Id));
        var failed = await client.ListDeliveriesAsync(new DeliveryQuery(Status: DeliveryStatus.Failed, Since: DateTimeOffset.UtcNow.AddMinutes(-5)), Ct);
        Assert.Equal(saleDelivery, Assert.Single(failed.Items).Id);
        Assert.Equal("sale.created", failed.Items[0].EventType);
        Assert.Equal(update.Id, Assert.Single((await client.ListDeliveriesAsync(new DeliveryQuery(EventId: update.Id), Ct)).Items).EventId);
        var page = await client.ListDeliveriesAsync(new DeliveryQuery(Limit: 1), Ct);
        Assert.NotNull(page.NextCursor);

        var details = await client.GetDeliveryAsync(saleDelivery, Ct);
        Assert.Equal([1, 2], details.Attempts.Select(a => a.Number));
        Assert.Equal(500, details.Attempts[0].ResponseStatus);
        Assert.Equal(saleDelivery.ToString(), details.Attempts[0].RequestHeaders["webhook-id"]);

        var retried = await client.RetryDeliveryAsync(saleDelivery, Ct);
        Assert.Equal(DeliveryStatus.Retrying, retried.Status);
        await Assert.ThrowsAsync<WebhooksNotFoundException>(() => client.RetryDeliveryAsync(Guid.CreateVersion7(), Ct));
        var limit = await Assert.ThrowsAsync<WebhooksValidationException>(() => client.ListDeliveriesAsync(new DeliveryQuery(Limit: 0), Ct));
        Assert.Contains("limit", limit.Errors.Keys);
    }

    [Fact]
    public async Task Notifications_are_listed_and_marked_read()
    {
        var tenant = await CreateTenantAsync();
        using var host = Host(tenant.ApiKey);
        var webhook = await host.Client.CreateWebhookAsync(new NewWebhook(Failures.Url, [SaleCreated.Type]), Ct);
        for (var i = 0; i < 3; i++) await Failures.RecordAsync(fixture.Stack, webhook.Id, 503);

        var unread = await host.Client.ListNotificationsAsync(unreadOnly: true, ct: Ct);
        var alert = Assert.Single(unread.Items);
        Assert.Equal(("webhook.failing", webhook.Id), (alert.Kind, alert.WebhookId));
        Assert.Equal(3, alert.Details.GetProperty("consecutiveFailures").GetInt32());

        await host.Client.MarkNotificationReadAsync(alert.Id, Ct);
        Assert.Empty((await host.Client.ListNotificationsAsync(unreadOnly: true, ct: Ct)).Items);
        Assert.NotNull(Assert.Single((await host.Client.ListNotificationsAsync(ct: Ct)).Items).ReadAt);
        await Assert.ThrowsAsync<WebhooksNotFoundException>(() => host.Client.MarkNotificationReadAsync(Guid.CreateVersion7(), Ct));
    }

    [Fact]
    public async Task The_catalog_lists_every_event_record()
    {
        var tenant = await CreateTenantAsync();
        using var host = Host(tenant.ApiKey);

        var types = await host.Client.ListEventTypesAsync(Ct);

        Assert.Equal(EventDefinitions.All.Select(d => d.Type).Order(), types.Select(t => t.Name).Order());
        Assert.Equal(SaleCreated.Description, types.Single(t => t.Name == SaleCreated.Type).Description);
    }

    [Fact]
    public async Task Every_route_is_answered_through_service_discovery_with_the_configured_key()
    {
        // The key comes from Webhooks:Client:ApiKey; none configured means 401, told apart from other failures.
        using var anonymous = Host();
        await Assert.ThrowsAsync<WebhooksUnauthorizedException>(() => anonymous.Client.ListEventTypesAsync(Ct));
        await using var db = fixture.Stack.CreateDbContext();
        Assert.True(await db.EventTypes.AnyAsync(Ct));
    }
}
