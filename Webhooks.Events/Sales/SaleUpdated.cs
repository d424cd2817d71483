using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>sale.updated</c>: a completed sale was changed (lines, customer, totals); the whole sale as it now is.</summary>
public sealed record SaleUpdated(
    string SaleId,
    string StoreId,
    string? CustomerId,
    IReadOnlyList<SaleLine> Lines,
    decimal Subtotal,
    decimal Tax,
    decimal Total,
    [property: Description("ISO 4217 currency code, e.g. USD.")] string Currency,
    DateTimeOffset UpdatedAt) : IWebhookEvent<SaleUpdated>
{
    public static string Type => "sale.updated";
    public static string Description => "A sale was changed.";

    public static SaleUpdated Example => new(
        "S-1001", "store-12", "C-2001",
        [new SaleLine("CASE-IP15-BLK", "iPhone 15 case, black", 1, 19.99m, 19.99m), new SaleLine("SCR-IP15", "Screen protector", 1, 12.50m, 12.50m)],
        32.49m, 2.76m, 35.25m, "USD", new DateTimeOffset(2026, 11, 28, 14, 20, 0, TimeSpan.Zero));
}
