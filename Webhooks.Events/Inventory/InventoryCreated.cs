using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>inventory.created</c>: an item was added to a store's inventory.</summary>
public sealed record InventoryCreated(
    [property: Description("Stock keeping unit, unique per store.")] string Sku,
    string Name,
    string StoreId,
    [property: Description("Units in stock now.")] int QuantityOnHand,
    [property: Description("At or below this quantity the item is low on stock (inventory.low_stock).")] int ReorderPoint,
    [property: Description("What one unit costs the store.")] decimal UnitCost,
    [property: Description("Shelf price of one unit, before tax.")] decimal Price,
    [property: Description("ISO 4217 currency code, e.g. USD.")] string Currency) : IWebhookEvent<InventoryCreated>
{
    public static string Type => "inventory.created";
    public static string Description => "An inventory item was added.";

    public static InventoryCreated Example => new("CASE-IP15-BLK", "iPhone 15 case, black", "store-12", 40, 10, 6.20m, 19.99m, "USD");
}
