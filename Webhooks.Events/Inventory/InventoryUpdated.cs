namespace Webhooks.Events;

/// <summary><c>inventory.updated</c>: an item changed (count, price, reorder point); the item as it now is.</summary>
public sealed record InventoryUpdated(
    string Sku,
    string Name,
    string StoreId,
    int QuantityOnHand,
    int ReorderPoint,
    decimal UnitCost,
    decimal Price,
    string Currency,
    DateTimeOffset UpdatedAt) : IWebhookEvent<InventoryUpdated>
{
    public static string Type => "inventory.updated";
    public static string Description => "An inventory item was changed.";

    public static InventoryUpdated Example => new("CASE-IP15-BLK", "iPhone 15 case, black", "store-12", 38, 10, 6.20m, 19.99m, "USD",
        new DateTimeOffset(2026, 11, 28, 14, 5, 1, TimeSpan.Zero));
}
