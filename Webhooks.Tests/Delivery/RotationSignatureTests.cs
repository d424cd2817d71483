using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Webhooks.Core.Signing;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Delivery;

/// <summary>The classic signature across a secret rotation, checked the way the README tells receivers to check it.</summary>
public sealed class RotationSignatureTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task During_the_grace_period_receivers_with_either_secret_verify_the_classic_signature()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(), TestOutputLogger.Services());
        var tenant = await CreateTenantAsync(stack);
        using var owner = tenant.OwnerClient();
        var rotating = await CreateWebhookAsync(owner, receiver.Url("/hooks/rotating"));
        var retired = await CreateWebhookAsync(owner, receiver.Url("/hooks/retired"));
        var oldSecret = rotating.GetProperty("secret").GetString()!;
        var newSecret = await RotateAsync(owner, rotating, graceSeconds: 3600);
        var retiredSecret = await RotateAsync(owner, retired, graceSeconds: 0);

        await ReadAsync(await owner.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { saleId = 7 } }, Ct), HttpStatusCode.Accepted);

        var during = await Eventually.Get(() => Task.FromResult(receiver.ReceivedAt("/hooks/rotating")), r => r.Count > 0, "the rotating webhook's delivery");
        var request = during.Single();
        var body = Encoding.UTF8.GetBytes(request.Body);
        Assert.True(ReadmeVerify(newSecret, body, request.Headers), "a receiver holding the new secret");
        Assert.True(ReadmeVerify(oldSecret, body, request.Headers), "a receiver still holding the old secret");
        Assert.False(ReadmeVerify(Core.Secrets.WebhookSecret.Generate(), body, request.Headers), "a receiver holding some other secret");
        // The seed's first snippet checks X-Webhook-Signature only: it keeps working with the new secret, and rejects
        // every delivery for a receiver that has not switched yet (the README says so).
        Assert.True(FirstHeaderOnly(newSecret, body, request.Headers));
        Assert.False(FirstHeaderOnly(oldSecret, body, request.Headers));

        var after = (await Eventually.Get(() => Task.FromResult(receiver.ReceivedAt("/hooks/retired")), r => r.Count > 0, "the retired webhook's delivery")).Single();
        Assert.False(after.Headers.ContainsKey(WebhookHeaders.SignaturePrevious));
        Assert.True(ReadmeVerify(retiredSecret, Encoding.UTF8.GetBytes(after.Body), after.Headers));
        Assert.False(ReadmeVerify(retired.GetProperty("secret").GetString()!, Encoding.UTF8.GetBytes(after.Body), after.Headers));

        // Like every signature, the previous one is never stored with the attempt.
        var attempt = Assert.Single(await Publish.AttemptsAsync(stack, Guid.Parse(request.Headers[WebhookHeaders.Delivery])));
        Assert.Equal("[redacted]", attempt.RequestHeaders[WebhookHeaders.SignaturePrevious]);
    }

    /// <summary>The README's receiving snippet, line for line: hex HMAC of the raw body keyed with the secret, compared in
    /// constant time with X-Webhook-Signature, then with X-Webhook-Signature-Previous.</summary>
    private static bool ReadmeVerify(string secret, byte[] body, IReadOnlyDictionary<string, string> headers)
    {
        var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        return new[] { "X-Webhook-Signature", "X-Webhook-Signature-Previous" }.Any(name =>
            CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(headers.GetValueOrDefault(name, ""))));
    }

    private static bool FirstHeaderOnly(string secret, byte[] body, IReadOnlyDictionary<string, string> headers) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)) == headers["X-Webhook-Signature"];

    private static async Task<string> RotateAsync(HttpClient owner, System.Text.Json.JsonElement webhook, int graceSeconds)
    {
        var rotated = await ReadAsync(await owner.PostAsJsonAsync($"/v1/webhooks/{webhook.GetProperty("id").GetGuid()}/rotate-secret",
            new { graceSeconds }, Ct), HttpStatusCode.OK);
        return rotated.GetProperty("secret").GetString()!;
    }
}
