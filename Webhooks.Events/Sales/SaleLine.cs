using System.ComponentModel;

namespace Webhooks.Events;

/// <summary>One line of a sale.</summary>
public sealed record SaleLine(
    [property: Description("Stock keeping unit of the item sold.")] string Sku,
    [property: Description("The item's name as printed on the receipt.")] string Name,
    [property: Description("Units sold; at least 1.")] int Quantity,
    [property: Description("Price of one unit, before tax.")] decimal UnitPrice,
    [property: Description("Quantity × unit price, less any line discount, before tax.")] decimal LineTotal);
