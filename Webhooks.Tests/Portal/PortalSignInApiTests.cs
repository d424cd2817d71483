using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Portal;

/// <summary>The Api side of portal sign-in: one-time links, and the sessions that a link or an API key opens.
/// The clock is fake, so expiry is tested exactly.</summary>
public sealed class PortalSignInApiTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string PortalBaseUrl = "https://portal.example.com/tenant-portal";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestStack _stack = null!;

    public async ValueTask InitializeAsync() =>
        _stack = await TestStack.StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Webhooks:Portal:BaseUrl"] = PortalBaseUrl,
            ["Webhooks:Portal:LinkLifetime"] = "00:05:00",
            ["Webhooks:Portal:SessionLifetime"] = "02:00:00",
        }, services => services.AddSingleton<TimeProvider>(_time), withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task A_link_points_at_the_portal_and_opens_a_session_with_its_users_rights_once()
    {
        var tenant = await CreateTenantAsync(_stack, "Acme");
        var (memberId, memberKey) = await CreateMemberAsync(tenant);
        using var member = _stack.CreateClient(memberKey);
        var link = await ReadAsync(await member.PostAsync("/v1/portal-links", null, Ct), HttpStatusCode.Created);

        var url = new Uri(link.GetProperty("url").GetString()!);
        Assert.StartsWith(PortalBaseUrl + "/signin/link?token=whpl_", url.AbsoluteUri);
        Assert.Equal(_time.GetUtcNow().AddMinutes(5), link.GetProperty("expiresAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));

        var session = await RedeemAsync(TokenOf(url), HttpStatusCode.Created);
        var token = session.GetProperty("token").GetString()!;
        Assert.StartsWith("whps_", token);
        Assert.Equal(memberId, session.GetProperty("user").GetProperty("id").GetGuid());
        Assert.Equal("member", session.GetProperty("user").GetProperty("role").GetString());
        Assert.Equal("Acme", session.GetProperty("tenant").GetProperty("name").GetString());
        Assert.Equal(_time.GetUtcNow().AddHours(2), session.GetProperty("expiresAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));

        // The session acts as the member: it sees the tenant's webhooks, and is refused what a member may not do.
        using var portal = _stack.CreateClient(token);
        var created = await CreateWebhookAsync(portal);
        using var owner = tenant.OwnerClient();
        await ReadAsync(await owner.GetAsync($"/v1/webhooks/{created.GetProperty("id").GetGuid()}", Ct), HttpStatusCode.OK);
        await AssertProblemAsync(await portal.PostAsJsonAsync("/v1/users", new { email = "x@example.com", name = "X" }, Ct), HttpStatusCode.Forbidden);

        // The link is spent.
        await AssertProblemAsync(await RedeemRawAsync(TokenOf(url)), HttpStatusCode.BadRequest, "token");
    }

    [Fact]
    public async Task A_link_is_refused_after_it_expires_and_an_unknown_token_reads_the_same()
    {
        var tenant = await CreateTenantAsync(_stack);
        using var owner = tenant.OwnerClient();
        var expiring = TokenOf(new Uri((await ReadAsync(await owner.PostAsync("/v1/portal-links", null, Ct), HttpStatusCode.Created))
            .GetProperty("url").GetString()!));
        var inTime = TokenOf(new Uri((await ReadAsync(await owner.PostAsync("/v1/portal-links", null, Ct), HttpStatusCode.Created))
            .GetProperty("url").GetString()!));

        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        await RedeemAsync(inTime, HttpStatusCode.Created);
        _time.Advance(TimeSpan.FromSeconds(1));
        var expired = await AssertProblemAsync(await RedeemRawAsync(expiring), HttpStatusCode.BadRequest, "token");
        var unknown = await AssertProblemAsync(await RedeemRawAsync("whpl_" + new string('x', 43)), HttpStatusCode.BadRequest, "token");
        Assert.Equal(expired.GetProperty("errors").GetRawText(), unknown.GetProperty("errors").GetRawText());
        await AssertProblemAsync(await RedeemRawAsync(""), HttpStatusCode.BadRequest, "token");
    }

    [Fact]
    public async Task Of_many_redemptions_of_one_link_at_once_exactly_one_opens_a_session()
    {
        var tenant = await CreateTenantAsync(_stack);
        using var owner = tenant.OwnerClient();
        var token = TokenOf(new Uri((await ReadAsync(await owner.PostAsync("/v1/portal-links", null, Ct), HttpStatusCode.Created))
            .GetProperty("url").GetString()!));

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => RedeemRawAsync(token)));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode));
    }

    [Fact]
    public async Task An_api_key_opens_a_session_that_expires_and_that_signing_out_revokes()
    {
        var tenant = await CreateTenantAsync(_stack, "Keyed");
        using var owner = tenant.OwnerClient();
        var session = await ReadAsync(await owner.PostAsync("/v1/portal-sessions", null, Ct), HttpStatusCode.Created);
        Assert.Equal("owner", session.GetProperty("user").GetProperty("role").GetString());
        using var portal = _stack.CreateClient(session.GetProperty("token").GetString()!);

        var current = await ReadAsync(await portal.GetAsync("/v1/portal-sessions/current", Ct), HttpStatusCode.OK);
        Assert.Equal(session.GetProperty("id").GetGuid(), current.GetProperty("id").GetGuid());
        Assert.Equal("Keyed", current.GetProperty("tenant").GetProperty("name").GetString());
        Assert.False(current.TryGetProperty("token", out _));
        // A session cannot extend itself by opening another, and an API key has no "current session".
        await AssertProblemAsync(await portal.PostAsync("/v1/portal-sessions", null, Ct), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await owner.GetAsync("/v1/portal-sessions/current", Ct), HttpStatusCode.Forbidden);

        Assert.Equal(HttpStatusCode.NoContent, (await portal.DeleteAsync("/v1/portal-sessions/current", Ct)).StatusCode);
        await AssertProblemAsync(await portal.GetAsync("/v1/webhooks", Ct), HttpStatusCode.Unauthorized);
        await ReadAsync(await owner.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK); // the key itself lives on

        var second = await ReadAsync(await owner.PostAsync("/v1/portal-sessions", null, Ct), HttpStatusCode.Created);
        using var secondPortal = _stack.CreateClient(second.GetProperty("token").GetString()!);
        _time.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        await ReadAsync(await secondPortal.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK);
        _time.Advance(TimeSpan.FromSeconds(1));
        await AssertProblemAsync(await secondPortal.GetAsync("/v1/webhooks", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_session_opened_with_an_api_key_ends_when_the_key_is_revoked_and_expires_no_later_than_the_key()
    {
        var tenant = await CreateTenantAsync(_stack);
        using var owner = tenant.OwnerClient();
        var shortKey = await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys",
            new { name = "short", expiresAt = _time.GetUtcNow().AddMinutes(30) }, Ct), HttpStatusCode.Created);
        using var shortKeyClient = _stack.CreateClient(shortKey.GetProperty("key").GetString()!);
        var shortSession = await ReadAsync(await shortKeyClient.PostAsync("/v1/portal-sessions", null, Ct), HttpStatusCode.Created);
        Assert.Equal(_time.GetUtcNow().AddMinutes(30), shortSession.GetProperty("expiresAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));

        var key = await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = "laptop" }, Ct), HttpStatusCode.Created);
        using var keyClient = _stack.CreateClient(key.GetProperty("key").GetString()!);
        var session = await ReadAsync(await keyClient.PostAsync("/v1/portal-sessions", null, Ct), HttpStatusCode.Created);
        using var portal = _stack.CreateClient(session.GetProperty("token").GetString()!);
        var linkSession = await RedeemAsync(TokenOf(new Uri((await ReadAsync(await keyClient.PostAsync("/v1/portal-links", null, Ct),
            HttpStatusCode.Created)).GetProperty("url").GetString()!)), HttpStatusCode.Created);
        using var linkPortal = _stack.CreateClient(linkSession.GetProperty("token").GetString()!);
        await ReadAsync(await portal.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/api-keys/{key.GetProperty("id").GetGuid()}", Ct)).StatusCode);
        await AssertProblemAsync(await portal.GetAsync("/v1/webhooks", Ct), HttpStatusCode.Unauthorized);
        // A link is the user's own sign-in, not the key's: the key that minted it going away does not end that session.
        await ReadAsync(await linkPortal.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_session_sees_only_its_own_tenant()
    {
        var a = await CreateTenantAsync(_stack, "A");
        var b = await CreateTenantAsync(_stack, "B");
        using var ownerB = b.OwnerClient();
        var hookOfB = (await CreateWebhookAsync(ownerB)).GetProperty("id").GetGuid();
        using var ownerA = a.OwnerClient();
        var session = await ReadAsync(await ownerA.PostAsync("/v1/portal-sessions", null, Ct), HttpStatusCode.Created);
        using var portalA = _stack.CreateClient(session.GetProperty("token").GetString()!);

        await AssertProblemAsync(await portalA.GetAsync($"/v1/webhooks/{hookOfB}", Ct), HttpStatusCode.NotFound);
        var list = await ReadAsync(await portalA.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK);
        Assert.Empty(list.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Without_a_portal_address_no_link_is_minted()
    {
        await using var stack = await TestStack.StartAsync(infrastructure,
            new Dictionary<string, string?> { ["Webhooks:Portal:BaseUrl"] = "" }, withDispatcher: false);
        var tenant = await CreateTenantAsync(stack);
        using var owner = tenant.OwnerClient();
        var problem = await AssertProblemAsync(await owner.PostAsync("/v1/portal-links", null, Ct), HttpStatusCode.Conflict);
        Assert.Contains("Webhooks:Portal:BaseUrl", problem.GetProperty("detail").GetString());
    }

    private static string TokenOf(Uri link) =>
        Uri.UnescapeDataString(link.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("token=", StringComparison.Ordinal))["token=".Length..]);

    private async Task<HttpResponseMessage> RedeemRawAsync(string token)
    {
        using var anonymous = _stack.CreateClient();
        return await anonymous.PostAsJsonAsync("/v1/portal-links/redeem", new { token }, Ct);
    }

    private async Task<JsonElement> RedeemAsync(string token, HttpStatusCode expected) => await ReadAsync(await RedeemRawAsync(token), expected);
}
