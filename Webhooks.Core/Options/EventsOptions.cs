namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Events</c>: limits on published events.</summary>
public sealed class EventsOptions
{
    public const string Section = "Webhooks:Events";

    /// <summary>Largest <c>data</c> payload accepted, 1 KiB – 16 MiB (default 256 KiB); larger gets 413.</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>When true, an event whose <c>data</c> breaks its type's JSON Schema (see <c>GET /v1/event-types</c>)
    /// is refused with a 400 naming the path (default false: any JSON object is accepted).</summary>
    public bool ValidateSchemas { get; set; }
}
