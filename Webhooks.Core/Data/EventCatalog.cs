using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data;

/// <summary>The business events tenants can subscribe to, seeded by the initial migration.</summary>
public static class EventCatalog
{
    /// <summary>Sent only by <c>POST /v1/webhooks/{id}/ping</c>; every webhook receives it whatever it subscribed to.</summary>
    public const string Ping = "webhook.ping";

    public static readonly EventType[] All =
    [
        new() { Name = "sale.created", Description = "A sale was completed." },
        new() { Name = "sale.updated", Description = "A sale was changed." },
        new() { Name = "sale.refunded", Description = "A sale was refunded in whole or in part." },
        new() { Name = "inventory.created", Description = "An inventory item was added." },
        new() { Name = "inventory.updated", Description = "An inventory item was changed." },
        new() { Name = "inventory.low_stock", Description = "An inventory item fell below its reorder level." },
        new() { Name = "customer.created", Description = "A customer was added." },
        new() { Name = "customer.updated", Description = "A customer was changed." },
        new() { Name = "repair_order.created", Description = "A repair order was opened." },
        new() { Name = "repair_order.status_changed", Description = "A repair order moved to another status." },
        new() { Name = "purchase_order.created", Description = "A purchase order was placed." },
        new() { Name = "purchase_order.received", Description = "A purchase order was received." },
        new() { Name = Ping, Description = "A test delivery sent on request to check an endpoint." },
    ];

    private static readonly HashSet<string> Names = All.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);

    public static bool Contains(string name) => Names.Contains(name);
}
