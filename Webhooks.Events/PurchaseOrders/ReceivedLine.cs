using System.ComponentModel;

namespace Webhooks.Events;

/// <summary>One line of a received purchase order: what was ordered and what arrived.</summary>
public sealed record ReceivedLine(
    string Sku,
    int QuantityOrdered,
    [property: Description("Units that arrived; less than ordered for a partial delivery.")] int QuantityReceived);
