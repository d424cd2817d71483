namespace Webhooks.Core.Data.Entities;

/// <summary>An entry of the event catalog, e.g. <c>sale.created</c>.</summary>
public sealed class EventType
{
    public required string Name { get; set; }
    public required string Description { get; set; }
}
