using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>repair_order.created</c>: a device was checked in for repair.</summary>
public sealed record RepairOrderCreated(
    string RepairOrderId,
    string StoreId,
    string CustomerId,
    [property: Description("Make and model, e.g. iPhone 15.")] string Device,
    [property: Description("Serial number or IMEI, or null.")] string? SerialNumber,
    [property: Description("The fault as the customer described it.")] string Problem,
    RepairOrderStatus Status,
    [property: Description("Quoted price, or null before diagnosis.")] decimal? EstimatedCost,
    [property: Description("ISO 4217 currency code, e.g. USD.")] string Currency,
    [property: Description("When the customer was told it would be ready, or null.")] DateTimeOffset? PromisedAt,
    DateTimeOffset CreatedAt) : IWebhookEvent<RepairOrderCreated>
{
    public static string Type => "repair_order.created";
    public static string Description => "A repair order was opened.";

    public static RepairOrderCreated Example => new("RO-501", "store-12", "C-2001", "iPhone 15", "356789101234567", "Cracked screen",
        RepairOrderStatus.Received, 129.00m, "USD", new DateTimeOffset(2026, 11, 30, 17, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2026, 11, 28, 15, 0, 0, TimeSpan.Zero));
}
