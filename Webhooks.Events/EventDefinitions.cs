namespace Webhooks.Events;

/// <summary>The event catalog: every type a webhook may subscribe to and a service may publish, plus
/// <see cref="WebhookPing"/>, which only the ping route sends.</summary>
public static class EventDefinitions
{
    /// <summary>The publishable types, in catalog order.</summary>
    public static IReadOnlyList<EventDefinition> Publishable { get; } =
    [
        EventDefinition.Of<SaleCreated>(),
        EventDefinition.Of<SaleUpdated>(),
        EventDefinition.Of<SaleRefunded>(),
        EventDefinition.Of<InventoryCreated>(),
        EventDefinition.Of<InventoryUpdated>(),
        EventDefinition.Of<InventoryLowStock>(),
        EventDefinition.Of<CustomerCreated>(),
        EventDefinition.Of<CustomerUpdated>(),
        EventDefinition.Of<RepairOrderCreated>(),
        EventDefinition.Of<RepairOrderStatusChanged>(),
        EventDefinition.Of<PurchaseOrderCreated>(),
        EventDefinition.Of<PurchaseOrderReceived>(),
    ];

    /// <summary><c>webhook.ping</c>: sent only by <c>POST /v1/webhooks/{id}/ping</c>, to every webhook.</summary>
    public static EventDefinition Ping { get; } = EventDefinition.Of<WebhookPing>();

    /// <summary>Every type of the catalog: the publishable ones, then <see cref="Ping"/>.</summary>
    public static IReadOnlyList<EventDefinition> All { get; } = [.. Publishable, Ping];

    private static readonly Dictionary<string, EventDefinition> ByType = All.ToDictionary(d => d.Type, StringComparer.Ordinal);

    /// <summary>The definition of a catalog name, or null for a name the catalog lacks.</summary>
    public static EventDefinition? Find(string type) => ByType.GetValueOrDefault(type);
}
