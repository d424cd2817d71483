using Webhooks.Core.Data.Entities;
using Webhooks.Events;

namespace Webhooks.Core.Data;

/// <summary>The business events tenants can subscribe to, seeded by the initial migration. Built from the event
/// records of <c>Webhooks.Events</c>, the one definition of each type (a changed description needs a migration).</summary>
public static class EventCatalog
{
    /// <summary>Sent only by <c>POST /v1/webhooks/{id}/ping</c>; every webhook receives it whatever it subscribed to.</summary>
    public const string Ping = "webhook.ping";

    public static readonly EventType[] All =
        EventDefinitions.All.Select(d => new EventType { Name = d.Type, Description = d.Description }).ToArray();

    public static bool Contains(string name) => EventDefinitions.Find(name) is not null;
}
