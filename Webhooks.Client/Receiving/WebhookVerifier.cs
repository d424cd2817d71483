using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Webhooks.Client.Receiving;

/// <summary>
/// Checks an incoming delivery the way the service signs it: the Standard Webhooks signature (<c>webhook-signature</c>,
/// checked by the <c>StandardWebhooks</c> package) and the classic <c>X-Webhook-Signature</c> (hex HMAC-SHA256 of the
/// body keyed with the whole secret, or <c>X-Webhook-Signature-Previous</c> during a rotation), and refuses a
/// timestamp more than <see cref="Tolerance"/> away from now, so a captured request cannot be replayed later.
/// Give it every secret you accept (the new and the old one while you rotate).
/// </summary>
public sealed class WebhookVerifier
{
    private readonly string[] _secrets;
    private readonly TimeProvider _time;

    public WebhookVerifier(IEnumerable<string> secrets, TimeProvider? time = null, TimeSpan? tolerance = null)
    {
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s)).ToArray();
        if (_secrets.Length == 0) throw new ArgumentException("At least one signing secret (whsec_…) is required.", nameof(secrets));
        _time = time ?? TimeProvider.System;
        Tolerance = tolerance ?? TimeSpan.FromMinutes(5);
    }

    public WebhookVerifier(string secret, TimeProvider? time = null) : this([secret], time)
    {
    }

    /// <summary>How far a delivery's timestamp may be from now (default 5 minutes, as Standard Webhooks advises).</summary>
    public TimeSpan Tolerance { get; }

    /// <summary>Verifies the raw body (exactly as received) against the request's headers.</summary>
    /// <exception cref="WebhookVerificationException">A header is missing, a signature does not match, or the
    /// timestamp is stale.</exception>
    public VerifiedDelivery Verify(string body, IHeaderDictionary headers)
    {
        var id = Required(headers, "webhook-id");
        var timestamp = Timestamp(Required(headers, "webhook-timestamp"));
        if ((_time.GetUtcNow() - timestamp).Duration() > Tolerance)
            throw new WebhookVerificationException($"webhook-timestamp {timestamp:O} is more than {Tolerance} from now: stale or replayed.");

        if (!_secrets.Any(secret => StandardSignatureMatches(secret, body, headers)))
            throw new WebhookVerificationException("No webhook-signature matches a known secret.");
        var classic = Required(headers, "X-Webhook-Signature");
        var previous = headers["X-Webhook-Signature-Previous"].ToString();
        if (!_secrets.Any(secret => HexMatches(secret, body, classic) || (previous.Length > 0 && HexMatches(secret, body, previous))))
            throw new WebhookVerificationException("X-Webhook-Signature does not match a known secret.");

        return VerifiedDelivery.Parse(id, timestamp, body);
    }

    private static bool StandardSignatureMatches(string secret, string body, IHeaderDictionary headers)
    {
        try
        {
            // The package also refuses timestamps more than five minutes off, by the system clock.
            new StandardWebhook(secret).Verify(body, headers);
            return true;
        }
        catch (WebhookVerificationException)
        {
            return false;
        }
    }

    private static bool HexMatches(string secret, string body, string signature)
    {
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body));
        Span<byte> given = stackalloc byte[32];
        return signature.Length == 64
               && Convert.FromHexString(signature, given, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32
               && CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private static string Required(IHeaderDictionary headers, string name) =>
        headers[name].ToString() is { Length: > 0 } value ? value : throw new WebhookVerificationException($"Missing {name} header.");

    private static DateTimeOffset Timestamp(string unixSeconds) =>
        long.TryParse(unixSeconds, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < 253_402_300_799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw new WebhookVerificationException("webhook-timestamp is not unix seconds.");
}
