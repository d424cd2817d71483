using Microsoft.Extensions.Options;
using Webhooks.Core.Options;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Tests.Delivery;

/// <summary>The sender's connect-time guard, on addresses that must never be reached (nothing is listening on them:
/// a refusal proves the guard, not the network, stopped the request).</summary>
public sealed class SsrfGuardTests
{
    [Theory]
    [InlineData("http://127.0.0.1:9/hook", "blocked: 127.0.0.1 is a loopback address")]
    [InlineData("http://[::1]:9/hook", "blocked: ::1 is a loopback address")]
    [InlineData("http://10.0.0.5/hook", "blocked: 10.0.0.5 is a private address")]
    [InlineData("http://192.168.1.20:8080/hook", "blocked: 192.168.1.20 is a private address")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "blocked: 169.254.169.254 is a link-local / cloud metadata address")]
    [InlineData("http://[::ffff:10.1.2.3]/hook", "blocked: ::ffff:10.1.2.3 is a mapped IPv4 address")]
    [InlineData("http://[64:ff9b::a00:5]/hook", "blocked: 64:ff9b::a00:5 is a private address")] // NAT64 of a private address
    [InlineData("http://168.63.129.16/machine", "blocked: 168.63.129.16 is a cloud host endpoint address")]
    [InlineData("http://0x7f000001/hook", "blocked: 127.0.0.1 is a loopback address")] // the URL parser normalizes it
    [InlineData("ftp://example.com/hook", "blocked: the URL is not an absolute http(s) URL")]
    public async Task Blocked_addresses_are_refused_before_connecting(string url, string expected)
    {
        using var sender = Sender(allowPrivateNetworks: false);

        var result = await sender.SendAsync(url, "{}"u8.ToArray(), [], TestContext.Current.CancellationToken);

        Assert.Equal(SendOutcome.Blocked, result.Outcome);
        Assert.Contains(result.Error, expected.Split('|'));
        Assert.Null(result.ResponseStatus);
    }

    [Theory]
    [InlineData("https://localhost:9/hook", "localhost")]          // resolves to loopback
    [InlineData("http://no-such-host.invalid/hook", "no-such-host.invalid")] // does not resolve (RFC 6761)
    public async Task A_host_name_that_is_refused_reads_the_same_as_one_that_does_not_resolve(string url, string host)
    {
        using var sender = Sender(allowPrivateNetworks: false);

        var result = await sender.SendAsync(url, "{}"u8.ToArray(), [], TestContext.Current.CancellationToken);

        // Neither the resolved (internal) addresses nor which of the two cases it was reach the tenant.
        Assert.Equal(SendOutcome.NetworkError, result.Outcome);
        Assert.Equal($"{host} did not resolve to a public address", result.Error);
    }

    [Fact]
    public async Task Allowing_private_networks_turns_the_guard_off()
    {
        using var sender = Sender(allowPrivateNetworks: true);

        var result = await sender.SendAsync("http://127.0.0.1:9/hook", "{}"u8.ToArray(), [], TestContext.Current.CancellationToken);

        Assert.Equal(SendOutcome.NetworkError, result.Outcome);
        Assert.Equal("connection refused (127.0.0.1:9)", result.Error);
    }

    private static WebhookSender Sender(bool allowPrivateNetworks) =>
        new(Options.Create(new DeliveryOptions { AllowPrivateNetworks = allowPrivateNetworks, RequestTimeout = TimeSpan.FromSeconds(5) }), TimeProvider.System);
}
