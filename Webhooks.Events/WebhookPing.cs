namespace Webhooks.Events;

/// <summary><c>webhook.ping</c>: the data of a test delivery, sent only by <c>POST /v1/webhooks/{id}/ping</c>.</summary>
public sealed record WebhookPing(Guid WebhookId) : IWebhookEvent<WebhookPing>
{
    public static string Type => "webhook.ping";
    public static string Description => "A test delivery sent on request to check an endpoint.";
    public static WebhookPing Example => new(Guid.Parse("019ad0c4-7b1e-7c3a-9d2f-3e4a5b6c7d8e"));
}
