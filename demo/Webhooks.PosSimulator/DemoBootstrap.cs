using Microsoft.Extensions.Options;
using Webhooks.Client;
using Webhooks.Demo;
using Webhooks.Events;

namespace Webhooks.PosSimulator;

/// <summary>
/// Makes sure the demo tenant and its webhooks exist, through the Api, idempotently: the tenant's key and each
/// webhook's id and secret are kept in the run's state file, so a restarted simulator finds them again and creates
/// nothing twice (a webhook that is gone, or whose receiver moved, is re-registered or re-pointed).
/// </summary>
internal sealed class DemoBootstrap(WebhooksClient client, IOptions<SimulatorOptions> options, ILogger<DemoBootstrap> logger)
{
    /// <summary>The demo's webhooks: name (the receiver's path) → the events it takes.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Webhooks = new Dictionary<string, string[]>
    {
        // Every POS event; the receiver fails one in five, so some deliveries are retried.
        ["backoffice"] = [.. EventDefinitions.Publishable.Select(d => d.Type)],
        ["inventory-sync"] = [InventoryCreated.Type, InventoryUpdated.Type, InventoryLowStock.Type, PurchaseOrderCreated.Type, PurchaseOrderReceived.Type],
        // Down for good: alerts at 3, 5 and 10 failures in a row, then disabled.
        ["legacy-erp"] = [SaleCreated.Type, SaleRefunded.Type, CustomerCreated.Type, CustomerUpdated.Type],
    };

    public async Task<(WebhooksClient Tenant, DemoState State)> EnsureAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var state = DemoState.Read(settings.StateDirectory);
        var tenant = state.ApiKey is { } key ? client.WithApiKey(key) : null;
        if (tenant is null || !await WorksAsync(tenant, ct))
        {
            var created = await client.WithApiKey(settings.AdminApiKey).CreateTenantAsync(
                new NewTenant("Demo POS", new NewTenantOwner("owner@demo-pos.example", "Dana Demo")), ct);
            logger.LogInformation("Created the demo tenant {TenantId}", created.Id);
            state = new DemoState(created.ApiKey, []);
            state.Write(settings.StateDirectory);
            tenant = client.WithApiKey(created.ApiKey);
        }

        foreach (var (name, events) in Webhooks)
        {
            var path = $"/hooks/{name}";
            var url = new Uri(new Uri(settings.ReceiverUrl), path).ToString();
            var known = state.Webhooks.GetValueOrDefault(name);
            var existing = known is null ? null : await FindAsync(tenant, known.Id, ct);
            if (existing is null)
            {
                var created = await tenant.CreateWebhookAsync(new NewWebhook(url, events, $"Demo: {name}"), ct);
                state.Webhooks[name] = new DemoWebhook(created.Id, path, created.Secret);
                state.Write(settings.StateDirectory);
                logger.LogInformation("Registered the demo webhook {Name} ({WebhookId}) at {Url}", name, created.Id, url);
            }
            else if (existing.Url != url)
            {
                await tenant.UpdateWebhookAsync(existing.Id, new WebhookUpdate { Url = url }, ct);
                logger.LogInformation("Pointed the demo webhook {Name} at {Url}", name, url);
            }
        }
        return (tenant, state);
    }

    private static async Task<bool> WorksAsync(WebhooksClient tenant, CancellationToken ct)
    {
        try
        {
            await tenant.ListWebhooksAsync(limit: 1, ct: ct);
            return true;
        }
        catch (WebhooksUnauthorizedException)
        {
            return false; // a key of an earlier run's database
        }
    }

    private static async Task<Webhook?> FindAsync(WebhooksClient tenant, Guid id, CancellationToken ct)
    {
        try
        {
            return await tenant.GetWebhookAsync(id, ct);
        }
        catch (WebhooksNotFoundException)
        {
            return null;
        }
    }
}
