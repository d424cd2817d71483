using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Webhooks.Create;

internal sealed class Response(Webhook webhook, string secret) : WebhookResponse(webhook)
{
    /// <summary>The signing secret (<c>whsec_…</c>). Shown only here and by rotate-secret: store it now.</summary>
    public string Secret { get; } = secret;
}
