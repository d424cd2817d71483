using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>sale.created</c>: a sale was completed at a register.</summary>
public sealed record SaleCreated(
    [property: Description("The sale's id in the point of sale.")] string SaleId,
    [property: Description("The store where the sale happened.")] string StoreId,
    [property: Description("The customer, or null for an anonymous sale.")] string? CustomerId,
    IReadOnlyList<SaleLine> Lines,
    [property: Description("Sum of the lines, before tax.")] decimal Subtotal,
    decimal Tax,
    [property: Description("Amount paid: subtotal plus tax.")] decimal Total,
    [property: Description("ISO 4217 currency code, e.g. USD.")] string Currency,
    [property: Description("How the customer paid: cash, card, gift_card, …")] string PaymentMethod,
    DateTimeOffset CompletedAt) : IWebhookEvent<SaleCreated>
{
    public static string Type => "sale.created";
    public static string Description => "A sale was completed.";

    public static SaleCreated Example => new(
        "S-1001", "store-12", "C-2001",
        [new SaleLine("CASE-IP15-BLK", "iPhone 15 case, black", 2, 19.99m, 39.98m), new SaleLine("SCR-IP15", "Screen protector", 1, 12.50m, 12.50m)],
        52.48m, 4.46m, 56.94m, "USD", "card", new DateTimeOffset(2026, 11, 28, 14, 5, 0, TimeSpan.Zero));
}
