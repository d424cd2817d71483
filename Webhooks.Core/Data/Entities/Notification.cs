namespace Webhooks.Core.Data.Entities;

/// <summary>An in-app message to a user about one of their tenant's webhooks.</summary>
public sealed class Notification
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid UserId { get; set; }
    public Guid WebhookId { get; set; }
    /// <summary><see cref="NotificationKinds"/>.</summary>
    public required string Kind { get; set; }
    public required string Message { get; set; }
    /// <summary>JSON: failure count, last status code and error, delivery id.</summary>
    public required string Details { get; set; }
    /// <summary>Makes one alert per threshold crossing: unique per user (e.g. <c>failing:3:&lt;streak start&gt;</c>).</summary>
    public required string DedupKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ReadAt { get; set; }
}

public static class NotificationKinds
{
    public const string WebhookFailing = "webhook.failing";
    public const string WebhookDisabled = "webhook.disabled";
}
