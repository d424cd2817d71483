namespace Webhooks.Core.Data.Entities;

/// <summary>A business event a tenant published; fans out to one <see cref="Delivery"/> per matching webhook.</summary>
public sealed class Event
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Type { get; set; }
    /// <summary>The <c>data</c> object as published (jsonb).</summary>
    public required string Payload { get; set; }
    public string? IdempotencyKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>W3C traceparent of the publish request, so the Dispatcher's spans link back to it.</summary>
    public string? TraceParent { get; set; }
}
