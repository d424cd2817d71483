namespace Webhooks.Events;

/// <summary>What one line of a refund gave back.</summary>
public sealed record RefundLine(string Sku, int Quantity, decimal Amount);
