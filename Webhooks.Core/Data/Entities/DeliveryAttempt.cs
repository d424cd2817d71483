namespace Webhooks.Core.Data.Entities;

/// <summary>One HTTP POST of a delivery, as sent and as answered.</summary>
public sealed class DeliveryAttempt
{
    public Guid Id { get; set; }
    public Guid DeliveryId { get; set; }
    /// <summary>1-based; unique per delivery, which fences out a late duplicate write.</summary>
    public int Number { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public int DurationMs { get; set; }
    public Dictionary<string, string> RequestHeaders { get; set; } = [];
    public int? ResponseStatus { get; set; }
    public Dictionary<string, string>? ResponseHeaders { get; set; }
    /// <summary>At most Webhooks:Delivery:MaxResponseBodyBytes of the body, decoded as UTF-8.</summary>
    public string? ResponseBody { get; set; }
    public string? Error { get; set; }
}
