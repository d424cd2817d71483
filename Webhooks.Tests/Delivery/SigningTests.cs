using System.Text;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;
using Webhooks.Core.Secrets;
using Webhooks.Core.Signing;

namespace Webhooks.Tests.Delivery;

public sealed class SigningTests
{
    // Vectors computed outside .NET (Python's hmac) so the test does not check the code against itself.
    private const string KnownSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v";
    private const string KnownBody = """{"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","type":"sale.created","timestamp":"2026-11-28T19:26:03.123Z","data":{"a":1}}""";

    [Fact]
    public void The_body_is_the_documented_envelope_with_data_copied_raw()
    {
        var body = WebhookBody.Create(Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), "sale.created",
            new DateTimeOffset(2026, 11, 28, 20, 26, 3, 123, TimeSpan.FromHours(1)), """{"a":1}""");

        Assert.Equal(KnownBody, Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void The_body_is_identical_for_every_attempt_and_keeps_unicode_and_the_stored_formatting()
    {
        var createdAt = new DateTimeOffset(2026, 11, 28, 19, 26, 3, TimeSpan.Zero).AddTicks(4560);
        const string data = """{"note": "café ☕", "n": [1, 2.50]}"""; // as Postgres prints jsonb
        var first = WebhookBody.Create(Guid.Empty, "sale.created", createdAt, data);
        var second = WebhookBody.Create(Guid.Empty, "sale.created", createdAt, data);

        Assert.Equal(first, second);
        Assert.Equal("""{"id":"00000000-0000-0000-0000-000000000000","type":"sale.created","timestamp":"2026-11-28T19:26:03.000456Z","data":{"note": "café ☕", "n": [1, 2.50]}}""",
            Encoding.UTF8.GetString(first));
    }

    [Fact]
    public void Classic_signature_is_hex_hmac_of_the_body_keyed_with_the_whole_secret()
    {
        Assert.Equal("0a9f7567cc63fe8ec97b2aa70ee3d79148e5c86e5a7757975730a5ad4c7c6d7e",
            WebhookSigner.ClassicSignature(Encoding.UTF8.GetBytes(KnownBody), KnownSecret));
    }

    [Fact]
    public void Standard_signature_matches_a_known_vector()
    {
        Assert.Equal("v1,7vrrmfra9sGwwKlPoMMwBQLhu9f4HderlC0DztaIJg0=",
            WebhookSigner.StandardSignature("0193a1b2-0000-7000-8000-000000000001", 1796000000, Encoding.UTF8.GetBytes(KnownBody), KnownSecret));
    }

    [Fact]
    public void Headers_carry_both_schemes_and_verify_with_the_standard_webhooks_library()
    {
        var secret = WebhookSecret.Generate();
        var deliveryId = Guid.CreateVersion7();
        var body = WebhookBody.Create(Guid.CreateVersion7(), "sale.created", DateTimeOffset.UtcNow, """{"a":1}""");
        var attemptAt = DateTimeOffset.UtcNow;

        var headers = ToDictionary(WebhookSigner.Headers(body, deliveryId, "sale.created", attemptAt, secret, previousSecret: null));

        Assert.Equal(deliveryId.ToString(), headers[WebhookHeaders.Delivery]);
        Assert.Equal(deliveryId.ToString(), headers[WebhookHeaders.StandardId]);
        Assert.Equal("sale.created", headers[WebhookHeaders.Event]);
        Assert.Equal(attemptAt.ToUnixTimeSeconds().ToString(), headers[WebhookHeaders.Timestamp]);
        Assert.Equal(attemptAt.ToUnixTimeSeconds().ToString(), headers[WebhookHeaders.StandardTimestamp]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)),
            headers[WebhookHeaders.Signature]);
        Assert.DoesNotContain(" ", headers[WebhookHeaders.StandardSignature].ToString());
        new StandardWebhook(secret).Verify(Encoding.UTF8.GetString(body), headers);
    }

    [Fact]
    public void During_a_rotation_the_previous_secret_adds_its_own_classic_header_and_the_current_one_keeps_the_first()
    {
        var secret = WebhookSecret.Generate();
        var previous = WebhookSecret.Generate();
        var body = WebhookBody.Create(Guid.CreateVersion7(), "sale.created", DateTimeOffset.UtcNow, """{"a":1}""");

        var during = ToDictionary(WebhookSigner.Headers(body, Guid.CreateVersion7(), "sale.created", DateTimeOffset.UtcNow, secret, previous));
        var outside = ToDictionary(WebhookSigner.Headers(body, Guid.CreateVersion7(), "sale.created", DateTimeOffset.UtcNow, secret, null));

        Assert.Equal(WebhookSigner.ClassicSignature(body, secret), during[WebhookHeaders.Signature]);
        Assert.Equal(WebhookSigner.ClassicSignature(body, previous), during[WebhookHeaders.SignaturePrevious]);
        Assert.False(outside.ContainsKey(WebhookHeaders.SignaturePrevious));
        Assert.True(WebhookHeaders.IsSignature(WebhookHeaders.SignaturePrevious)); // redacted from stored attempts and logs
    }

    [Fact]
    public void Standard_verification_fails_for_another_body_or_secret()
    {
        var secret = WebhookSecret.Generate();
        var body = WebhookBody.Create(Guid.CreateVersion7(), "sale.created", DateTimeOffset.UtcNow, """{"a":1}""");
        var headers = ToDictionary(WebhookSigner.Headers(body, Guid.CreateVersion7(), "sale.created", DateTimeOffset.UtcNow, secret, null));

        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(secret).Verify(Encoding.UTF8.GetString(body).Replace("1", "2"), headers));
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(WebhookSecret.Generate()).Verify(Encoding.UTF8.GetString(body), headers));
    }

    [Fact]
    public void During_a_rotation_the_standard_header_has_one_signature_per_live_secret_and_classic_uses_the_current()
    {
        var current = WebhookSecret.Generate();
        var previous = WebhookSecret.Generate();
        var body = WebhookBody.Create(Guid.CreateVersion7(), "sale.created", DateTimeOffset.UtcNow, """{"a":1}""");
        var payload = Encoding.UTF8.GetString(body);

        var headers = ToDictionary(WebhookSigner.Headers(body, Guid.CreateVersion7(), "sale.created", DateTimeOffset.UtcNow, current, previous));

        var signatures = headers[WebhookHeaders.StandardSignature].ToString().Split(' ');
        Assert.Equal(2, signatures.Length);
        Assert.All(signatures, s => Assert.StartsWith("v1,", s));
        // The library checks only the first entry of a multi-signature header, so each entry is verified on its own.
        new StandardWebhook(current).Verify(payload, With(headers, signatures[0]));
        new StandardWebhook(previous).Verify(payload, With(headers, signatures[1]));
        Assert.Equal(WebhookSigner.ClassicSignature(body, current), headers[WebhookHeaders.Signature]);
    }

    private static HeaderDictionary ToDictionary(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers) dictionary[name] = value;
        return dictionary;
    }

    private static HeaderDictionary With(HeaderDictionary headers, string signature)
    {
        var copy = new HeaderDictionary(headers.ToDictionary(h => h.Key, h => h.Value)) { [WebhookHeaders.StandardSignature] = signature };
        return copy;
    }
}
