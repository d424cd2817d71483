using System.Security.Cryptography;
using System.Text;
using Webhooks.Core.Secrets;

namespace Webhooks.Core.Signing;

/// <summary>
/// Signs one attempt of a delivery. Two schemes travel together: the classic <c>X-Webhook-Signature</c> (hex HMAC of the
/// body keyed with the whole secret string, simple to verify by hand) and Standard Webhooks' <c>webhook-signature</c>
/// (HMAC of <c>{id}.{timestamp}.{body}</c> keyed with the decoded secret, which also defeats replays of old bodies).
/// </summary>
public static class WebhookSigner
{
    /// <summary>The headers of one attempt, signatures included. <paramref name="previousSecret"/> is the secret before a
    /// rotation while its grace period lasts: it adds <c>X-Webhook-Signature-Previous</c> and a second
    /// <c>webhook-signature</c>, so receivers still holding it keep verifying either scheme. <c>X-Webhook-Signature</c>
    /// always uses the current secret.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(ReadOnlySpan<byte> body, Guid deliveryId, string eventType,
        DateTimeOffset attemptAt, string secret, string? previousSecret)
    {
        var id = deliveryId.ToString();
        var timestamp = attemptAt.ToUnixTimeSeconds();
        var timestampText = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var headers = new List<KeyValuePair<string, string>>(8)
        {
            new(WebhookHeaders.Signature, ClassicSignature(body, secret)),
            new(WebhookHeaders.Event, eventType),
            new(WebhookHeaders.Delivery, id),
            new(WebhookHeaders.Timestamp, timestampText),
            new(WebhookHeaders.StandardId, id),
            new(WebhookHeaders.StandardTimestamp, timestampText),
            new(WebhookHeaders.StandardSignature, previousSecret is null
                ? StandardSignature(id, timestamp, body, secret)
                : StandardSignature(id, timestamp, body, secret) + " " + StandardSignature(id, timestamp, body, previousSecret)),
        };
        if (previousSecret is not null) headers.Add(new(WebhookHeaders.SignaturePrevious, ClassicSignature(body, previousSecret)));
        return headers;
    }

    /// <summary>Lowercase hex HMAC-SHA256 of the raw body, keyed with the UTF-8 bytes of the whole secret (<c>whsec_</c> included).</summary>
    public static string ClassicSignature(ReadOnlySpan<byte> body, string secret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary><c>v1,</c> + base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>, keyed with the decoded secret.</summary>
    public static string StandardSignature(string id, long timestamp, ReadOnlySpan<byte> body, string secret)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(WebhookSecret.StandardKey(secret), signed));
    }
}
