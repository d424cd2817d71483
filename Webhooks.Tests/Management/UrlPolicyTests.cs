using System.Net;
using System.Net.Http.Json;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

/// <summary>With Webhooks:Delivery:AllowPrivateNetworks=false (production), literal internal addresses and localhost
/// are refused at registration.</summary>
public sealed class UrlPolicyTests(GuardedManagementStack fixture) : IClassFixture<GuardedManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    [Theory]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("https://127.1.2.3:8443/hook")]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://172.16.8.1/hook")]
    [InlineData("http://192.168.1.10/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://224.0.0.1/hook")]
    [InlineData("http://2130706433/hook")]       // 127.0.0.1 as one decimal number
    [InlineData("http://0x7f.0.0.1/hook")]       // 127.0.0.1 in hex
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://[::ffff:169.254.169.254]/hook")]
    [InlineData("http://[fd00:ec2::254]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://168.63.129.16/machine")]            // Azure's host endpoint (wireserver)
    [InlineData("http://[::ffff:8.8.8.8]/hook")]            // IPv4-mapped, even of a public address
    [InlineData("http://[::ffff:0:808:808]/hook")]          // IPv4-translated
    [InlineData("http://[64:ff9b:1::a00:5]/hook")]          // local-use NAT64
    [InlineData("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook")] // Teredo
    [InlineData("http://localhost/hook")]
    [InlineData("http://LOCALHOST:8080/hook")]
    [InlineData("http://localhost./hook")]
    [InlineData("http://api.localhost/hook")]
    public async Task Internal_addresses_are_400_naming_url(string url)
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var response = await owner.PostAsJsonAsync("/v1/webhooks", new { url, events = new[] { "sale.created" } }, Ct);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "url");
    }

    [Theory]
    [InlineData("https://hooks.example.com/in")]
    [InlineData("http://93.184.216.34/hook")]
    [InlineData("https://[2606:4700:4700::1111]/hook")]
    [InlineData("https://localhost-hooks.example.com/hook")]
    public async Task Public_addresses_and_host_names_are_accepted(string url)
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var body = await CreateWebhookAsync(owner, url);
        Assert.Equal(url, body.GetProperty("url").GetString());
    }

    [Fact]
    public async Task An_update_to_an_internal_address_is_400_naming_url()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var id = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();

        var response = await owner.PatchJsonAsync($"/v1/webhooks/{id}", new { url = "http://169.254.169.254/" });
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "url");
        var read = await ReadAsync(await owner.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
        Assert.Equal(ReceiverUrl, read.GetProperty("url").GetString());
    }
}
