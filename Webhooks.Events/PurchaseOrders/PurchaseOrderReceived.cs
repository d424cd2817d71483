namespace Webhooks.Events;

/// <summary><c>purchase_order.received</c>: a purchase order's delivery arrived at the store (perhaps short).</summary>
public sealed record PurchaseOrderReceived(
    string PurchaseOrderId,
    string SupplierId,
    string StoreId,
    IReadOnlyList<ReceivedLine> Lines,
    DateTimeOffset ReceivedAt) : IWebhookEvent<PurchaseOrderReceived>
{
    public static string Type => "purchase_order.received";
    public static string Description => "A purchase order was received.";

    public static PurchaseOrderReceived Example => new("PO-88", "SUP-7", "store-12",
        [new ReceivedLine("SCR-IP15", 25, 25), new ReceivedLine("CASE-IP15-BLK", 20, 18)], new DateTimeOffset(2026, 12, 2, 9, 30, 0, TimeSpan.Zero));
}
