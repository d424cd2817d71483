namespace Webhooks.Events;

/// <summary>One line of a purchase order: what was ordered from the supplier.</summary>
public sealed record PurchaseOrderLine(string Sku, int Quantity, decimal UnitCost);
