using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>repair_order.status_changed</c>: a repair order moved from one status to another.</summary>
public sealed record RepairOrderStatusChanged(
    string RepairOrderId,
    string StoreId,
    string CustomerId,
    RepairOrderStatus PreviousStatus,
    RepairOrderStatus Status,
    [property: Description("The technician's note for this step, or null.")] string? Note,
    DateTimeOffset ChangedAt) : IWebhookEvent<RepairOrderStatusChanged>
{
    public static string Type => "repair_order.status_changed";
    public static string Description => "A repair order moved to another status.";

    public static RepairOrderStatusChanged Example => new("RO-501", "store-12", "C-2001", RepairOrderStatus.Diagnosing,
        RepairOrderStatus.AwaitingParts, "Screen ordered from SUP-7", new DateTimeOffset(2026, 11, 28, 16, 30, 0, TimeSpan.Zero));
}
