using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Webhooks.Client;
using Webhooks.Events;
using Webhooks.Tests.Infrastructure;
using Webhooks.Tests.Management;

namespace Webhooks.Tests.Client;

/// <summary>Publishing through <see cref="WebhooksClient"/> against the real Api: typed events, batches, and retries
/// that never make a second event.</summary>
public sealed class PublishThroughClientTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(string Key, Guid WebhookId)> TenantWithWebhookAsync()
    {
        var tenant = await ManagementApi.CreateTenantAsync(fixture.Stack);
        using var host = ClientHost.Create(fixture.Stack, tenant.OwnerApiKey);
        var webhook = await host.Client.CreateWebhookAsync(
            new NewWebhook("https://hooks.example.com/pos", [SaleCreated.Type, InventoryLowStock.Type]), Ct);
        return (tenant.OwnerApiKey, webhook.Id);
    }

    private async Task<int> EventsStoredAsync(string? idempotencyKey = null, Guid? id = null)
    {
        await using var db = fixture.Stack.CreateDbContext();
        return await db.Events.CountAsync(e => (idempotencyKey == null || e.IdempotencyKey == idempotencyKey) && (id == null || e.Id == id), Ct);
    }

    [Fact]
    public async Task A_typed_event_is_published_with_its_catalog_type_and_camel_case_data()
    {
        var (key, webhookId) = await TenantWithWebhookAsync();
        using var host = ClientHost.Create(fixture.Stack, key);
        var sale = SaleCreated.Example with { SaleId = "S-7001" };

        var published = await host.Client.PublishAsync(sale, "sale-S-7001", Ct);

        Assert.Equal("sale.created", published.Type);
        var delivery = Assert.Single(published.Deliveries);
        Assert.Equal((webhookId, DeliveryStatus.Pending), (delivery.WebhookId, delivery.Status));
        var stored = await host.Client.GetEventAsync(published.Id, Ct);
        Assert.Equal("sale-S-7001", stored.IdempotencyKey);
        Assert.Equal("S-7001", stored.Data.GetProperty("saleId").GetString());
        Assert.Equal(2, stored.Data.GetProperty("lines")[0].GetProperty("quantity").GetInt32());
        var roundTripped = stored.DataAs<SaleCreated>();
        Assert.Equal(sale.Lines, roundTripped.Lines);
        Assert.Equal(sale with { Lines = roundTripped.Lines }, roundTripped);
    }

    [Fact]
    public async Task Without_a_key_the_client_makes_one_so_a_repeat_is_not_a_second_event()
    {
        var (key, _) = await TenantWithWebhookAsync();
        var recorder = new RecordingHandler();
        using var host = ClientHost.Create(fixture.Stack, key, recorder);

        var first = await host.Client.PublishAsync(InventoryLowStock.Example, ct: Ct);
        var second = await host.Client.PublishAsync(InventoryLowStock.Example, ct: Ct);

        Assert.NotEqual(first.Id, second.Id); // two calls are two events…
        Assert.All(recorder.IdempotencyKeys, k => Assert.False(string.IsNullOrEmpty(k)));
        Assert.Equal(2, recorder.IdempotencyKeys.Distinct().Count()); // …each with a key of its own
        Assert.Equal(recorder.IdempotencyKeys[0], (await host.Client.GetEventAsync(first.Id, Ct)).IdempotencyKey);
    }

    [Fact]
    public async Task A_publish_whose_answer_was_lost_is_retried_with_the_same_key_and_stored_once()
    {
        var (key, _) = await TenantWithWebhookAsync();
        var dropper = new DropFirstAnswer();
        using var host = ClientHost.Create(fixture.Stack, key, dropper);

        var published = await host.Client.PublishAsync(SaleCreated.Example with { SaleId = "S-lost-answer" }, ct: Ct);

        Assert.Equal(2, dropper.Calls); // the Api handled the first request; its answer never came back
        Assert.Single(dropper.IdempotencyKeys.Distinct());
        Assert.Equal(1, await EventsStoredAsync(dropper.IdempotencyKeys[0]));
        Assert.Equal(1, await EventsStoredAsync(id: published.Id)); // the retry was answered with the stored event
        Assert.Single(published.Deliveries);
    }

    [Fact]
    public async Task A_batch_whose_answer_was_lost_is_retried_and_stored_once()
    {
        var (key, _) = await TenantWithWebhookAsync();
        var dropper = new DropFirstAnswer();
        using var host = ClientHost.Create(fixture.Stack, key, dropper);
        BatchEvent[] batch =
        [
            BatchEvent.Of(SaleCreated.Example with { SaleId = "S-b1" }),
            BatchEvent.Of(InventoryLowStock.Example, "low-SCR-IP15"),
            BatchEvent.Of(CustomerCreated.Example), // no webhook subscribes: stored, no delivery
        ];

        var published = await host.Client.PublishBatchAsync(batch, Ct);

        Assert.Equal(2, dropper.Calls);
        Assert.Equal(["sale.created", "inventory.low_stock", "customer.created"], published.Select(e => e.Type));
        Assert.Equal([1, 1, 0], published.Select(e => e.Deliveries.Count));
        foreach (var e in published) Assert.Equal(1, await EventsStoredAsync(id: e.Id));
        var keys = new List<string?>();
        foreach (var e in published) keys.Add((await host.Client.GetEventAsync(e.Id, Ct)).IdempotencyKey);
        Assert.Equal("low-SCR-IP15", keys[1]);
        Assert.All(keys, k => Assert.NotNull(k));
        Assert.Equal(3, keys.Distinct().Count());
    }

    [Fact]
    public async Task A_429_is_retried_after_its_Retry_After_with_the_same_key()
    {
        var (key, _) = await TenantWithWebhookAsync();
        var busy = new RefuseFirst(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(1));
        using var host = ClientHost.Create(fixture.Stack, key, busy);

        var started = Stopwatch.GetTimestamp();
        var published = await host.Client.PublishAsync(SaleCreated.Example, ct: Ct);

        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(950), "the retry waited out Retry-After");
        Assert.Equal(2, busy.Calls);
        Assert.Single(busy.IdempotencyKeys.Distinct());
        Assert.Equal(1, await EventsStoredAsync(id: published.Id));
    }

    [Fact]
    public async Task A_503_is_retried_even_for_a_request_without_a_key()
    {
        var (key, _) = await TenantWithWebhookAsync();
        var unavailable = new RefuseFirst(HttpStatusCode.ServiceUnavailable);
        using var host = ClientHost.Create(fixture.Stack, key, unavailable);

        var page = await host.Client.ListWebhooksAsync(ct: Ct);

        Assert.Single(page.Items);
        Assert.Equal(2, unavailable.Calls);
    }

    [Fact]
    public async Task A_non_idempotent_request_whose_answer_was_lost_is_not_sent_again()
    {
        var (key, _) = await TenantWithWebhookAsync();
        var dropper = new DropFirstAnswer();
        using var host = ClientHost.Create(fixture.Stack, key, dropper);

        await Assert.ThrowsAsync<HttpRequestException>(() =>
            host.Client.CreateWebhookAsync(new NewWebhook("https://hooks.example.com/other", [SaleRefunded.Type]), Ct));

        Assert.Equal(1, dropper.Calls); // a second POST could have made a second webhook
        using var plain = ClientHost.Create(fixture.Stack, key);
        Assert.Equal(2, (await plain.Client.ListWebhooksAsync(ct: Ct)).Items.Count);
    }

    [Fact]
    public async Task Bad_data_comes_back_as_a_validation_exception_naming_the_field()
    {
        var (key, _) = await TenantWithWebhookAsync();
        using var host = ClientHost.Create(fixture.Stack, key);

        var error = await Assert.ThrowsAsync<WebhooksValidationException>(() =>
            host.Client.PublishAsync("sale.exploded", System.Text.Json.JsonDocument.Parse("{}").RootElement, ct: Ct));

        Assert.Equal(400, error.Status);
        Assert.Contains("type", error.Errors.Keys);
        Assert.Contains("catalog", error.Errors["type"].Single());
    }
}
