using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>sale.refunded</c>: some or all of a sale was refunded.</summary>
public sealed record SaleRefunded(
    string SaleId,
    [property: Description("The refund's own id; a sale may have several refunds.")] string RefundId,
    string StoreId,
    IReadOnlyList<RefundLine> Lines,
    [property: Description("Total given back, tax included.")] decimal Amount,
    [property: Description("ISO 4217 currency code, e.g. USD.")] string Currency,
    [property: Description("Why, as the clerk entered it; may be null.")] string? Reason,
    DateTimeOffset RefundedAt) : IWebhookEvent<SaleRefunded>
{
    public static string Type => "sale.refunded";
    public static string Description => "A sale was refunded in whole or in part.";

    public static SaleRefunded Example => new(
        "S-1001", "R-301", "store-12", [new RefundLine("CASE-IP15-BLK", 1, 21.69m)], 21.69m, "USD", "Wrong colour",
        new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));
}
