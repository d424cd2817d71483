namespace Webhooks.Core.Signing;

/// <summary>The headers of every outgoing webhook POST (DESIGN.md, "The outgoing request").</summary>
public static class WebhookHeaders
{
    /// <summary>Lowercase hex HMAC-SHA256 of the raw body, keyed with the whole secret string (current secret only).</summary>
    public const string Signature = "X-Webhook-Signature";
    /// <summary>The same with the previous secret, sent only while a rotation's grace period lasts, so a receiver that
    /// still holds the old secret keeps verifying the classic scheme.</summary>
    public const string SignaturePrevious = "X-Webhook-Signature-Previous";
    public const string Event = "X-Webhook-Event";
    public const string Delivery = "X-Webhook-Delivery";
    public const string Timestamp = "X-Webhook-Timestamp";

    // Standard Webhooks (https://www.standardwebhooks.com): receivers' off-the-shelf verifiers read these.
    public const string StandardId = "webhook-id";
    public const string StandardTimestamp = "webhook-timestamp";
    public const string StandardSignature = "webhook-signature";

    public const string UserAgent = "Webhooks/1.0";

    /// <summary>Headers whose values are never stored or logged: a signature lets anyone replay that body.</summary>
    public static bool IsSignature(string name) =>
        name.Equals(Signature, StringComparison.OrdinalIgnoreCase) || name.Equals(SignaturePrevious, StringComparison.OrdinalIgnoreCase)
        || name.Equals(StandardSignature, StringComparison.OrdinalIgnoreCase);
}
