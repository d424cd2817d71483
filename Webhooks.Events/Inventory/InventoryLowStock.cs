using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>inventory.low_stock</c>: an item's quantity on hand fell to or below its reorder point.</summary>
public sealed record InventoryLowStock(
    string Sku,
    string Name,
    string StoreId,
    int QuantityOnHand,
    int ReorderPoint,
    [property: Description("Units to order to be back to a comfortable level.")] int SuggestedOrderQuantity,
    [property: Description("The supplier usually ordered from, or null.")] string? PreferredSupplierId) : IWebhookEvent<InventoryLowStock>
{
    public static string Type => "inventory.low_stock";
    public static string Description => "An inventory item fell below its reorder level.";

    public static InventoryLowStock Example => new("SCR-IP15", "Screen protector", "store-12", 3, 5, 25, "SUP-7");
}
