using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>purchase_order.created</c>: stock was ordered from a supplier.</summary>
public sealed record PurchaseOrderCreated(
    string PurchaseOrderId,
    string SupplierId,
    [property: Description("The store the stock goes to.")] string StoreId,
    IReadOnlyList<PurchaseOrderLine> Lines,
    decimal Total,
    [property: Description("ISO 4217 currency code, e.g. USD.")] string Currency,
    [property: Description("The day the supplier promised, or null.")] DateOnly? ExpectedOn,
    DateTimeOffset CreatedAt) : IWebhookEvent<PurchaseOrderCreated>
{
    public static string Type => "purchase_order.created";
    public static string Description => "A purchase order was placed.";

    public static PurchaseOrderCreated Example => new("PO-88", "SUP-7", "store-12",
        [new PurchaseOrderLine("SCR-IP15", 25, 3.10m), new PurchaseOrderLine("CASE-IP15-BLK", 20, 6.20m)], 201.50m, "USD",
        new DateOnly(2026, 12, 2), new DateTimeOffset(2026, 11, 28, 16, 0, 0, TimeSpan.Zero));
}
