namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Events</c>: limits on published events.</summary>
public sealed class EventsOptions
{
    public const string Section = "Webhooks:Events";

    /// <summary>Largest <c>data</c> payload accepted, 1 KiB – 16 MiB (default 256 KiB); larger gets 413.</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;
}
