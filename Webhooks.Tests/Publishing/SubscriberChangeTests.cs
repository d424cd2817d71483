using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Publishing;

/// <summary>
/// Publishing chooses subscribers from the webhooks as committed at that moment: whatever the management API just
/// changed applies to the very next publish (nothing may cache a tenant's subscriptions across requests).
/// </summary>
public sealed class SubscriberChangeTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task Every_webhook_change_applies_to_the_very_next_publish()
    {
        var tenant = await CreateTenantAsync(_stack);
        using var client = tenant.OwnerClient();
        Assert.Empty(await ReceiversAsync(client)); // warms any per-tenant state before the webhook exists

        var id = (await CreateWebhookAsync(client, events: ["sale.created"])).GetProperty("id").GetGuid();
        Assert.Equal([id], await ReceiversAsync(client));

        await PatchAsync(client, id, new { events = new[] { "sale.updated" } });
        Assert.Empty(await ReceiversAsync(client));

        await PatchAsync(client, id, new { events = new[] { "sale.created" }, active = false });
        Assert.Empty(await ReceiversAsync(client));

        await PatchAsync(client, id, new { active = true });
        Assert.Equal([id], await ReceiversAsync(client));

        var second = (await CreateWebhookAsync(client, events: ["sale.created", "sale.updated"])).GetProperty("id").GetGuid();
        Assert.Equal(new[] { id, second }.Order(), (await ReceiversAsync(client)).Order());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/webhooks/{id}", Ct)).StatusCode);
        Assert.Equal([second], await ReceiversAsync(client));
    }

    /// <summary>Publishes a sale.created, alone and in a batch, and returns the webhooks its deliveries went to.</summary>
    private async Task<Guid[]> ReceiversAsync(HttpClient client)
    {
        var single = await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, single.StatusCode);
        var alone = WebhookIds((await single.Content.ReadFromJsonAsync<JsonObject>(Ct))!);

        var batch = await client.PostAsJsonAsync("/v1/events/batch", new { events = new[] { new { type = "sale.created", data = new { } } } }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, batch.StatusCode);
        var inBatch = WebhookIds((await batch.Content.ReadFromJsonAsync<JsonObject>(Ct))!["items"]![0]!.AsObject());

        Assert.Equal(alone.Order(), inBatch.Order());
        return alone;
    }

    private static Guid[] WebhookIds(JsonObject published) =>
        published["deliveries"]!.AsArray().Select(d => Guid.Parse((string)d!["webhookId"]!)).ToArray();

    private async Task PatchAsync(HttpClient client, Guid id, object body) =>
        Assert.Equal(HttpStatusCode.OK, (await client.PatchJsonAsync($"/v1/webhooks/{id}", body)).StatusCode);
}
