using System.Security.Cryptography;
using System.Text;
using Microsoft.Playwright;
using Webhooks.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Webhooks.Tests.Portal.Browser;

/// <summary>Signing in to the tenant portal in a real browser: with an API key, with a one-time link (used once,
/// refused when spent or expired), signing out, and one tenant never seeing another's endpoints.</summary>
[Collection(AppCollection.Name)]
public sealed class PortalSignInTests(AppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly PortalApp _portal = new(app, browser);

    public async ValueTask InitializeAsync() => await _portal.WaitHealthyAsync();

    public ValueTask DisposeAsync() => _portal.DisposeAsync();

    [Fact]
    public async Task A_user_signs_in_with_an_api_key_and_a_wrong_key_is_refused()
    {
        var tenant = await _portal.CreateTenantAsync("Key Co");
        var page = await _portal.OpenAsync("/endpoints");
        await PortalApp.ArrivedAsync(page, "/signin\\?returnUrl="); // no session yet: sign in first, then back to /endpoints
        await Screenshots.TakeAsync(page, "signin-page");

        await page.Locator("#api-key input").FillAsync("whk_" + new string('x', 43));
        await PortalApp.Button(page, "Sign in").ClickAsync();
        await Expect(page.GetByText("That key was not accepted")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "signin-wrong-key");

        await PortalApp.SignInWithKeyAsync(page, tenant.OwnerApiKey);
        await Expect(page.GetByText("Key Co", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByText("Key Co Owner", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No endpoints yet" })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "endpoints-empty");
    }

    [Fact]
    public async Task A_one_time_link_signs_in_once_and_a_used_or_expired_link_is_refused()
    {
        var tenant = await _portal.CreateTenantAsync("Link Co");
        var (url, expiresAt) = await _portal.CreateLinkAsync(tenant);
        Assert.StartsWith(_portal.Url("/signin/link?token="), url);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(11));

        var first = await _portal.OpenAsync(url);
        await PortalApp.ArrivedAsync(first, "/endpoints$");
        await Expect(first.GetByText("Link Co", new() { Exact = true })).ToBeVisibleAsync();

        // The same link again, in another browser: spent.
        var again = await _portal.OpenAsync(url);
        await PortalApp.ArrivedAsync(again, "/signin\\?error=link$");
        await Expect(again.GetByText("This sign-in link cannot be used")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(again, "signin-link-used");
        await again.GotoAsync(_portal.Url("/endpoints"));
        await PortalApp.ArrivedAsync(again, "/signin\\?returnUrl=");

        // A fresh link whose minutes have passed (the test moves its expiry into the past; the Api's own tests cover the clock).
        var (expiring, _) = await _portal.CreateLinkAsync(tenant);
        var token = Uri.UnescapeDataString(new Uri(expiring).Query.Split("token=")[1]);
        var expired = await _portal.DatabaseAsync<int>(
            "WITH moved AS (UPDATE portal_links SET expires_at = now() - interval '1 second' WHERE hash = $1 RETURNING 1) SELECT count(*)::int FROM moved",
            SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        Assert.Equal(1, expired);
        var late = await _portal.OpenAsync(expiring);
        await PortalApp.ArrivedAsync(late, "/signin\\?error=link$");
        await Expect(late.GetByText("This sign-in link cannot be used")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Signing_out_ends_the_session_at_the_api_not_just_the_cookie()
    {
        var tenant = await _portal.CreateTenantAsync("Leaving Co");
        var page = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(page, tenant.OwnerApiKey);
        // A copy of the signed-in browser: the same session cookie, as a second tab or a stolen cookie would have it.
        var state = await page.Context.StorageStateAsync();

        await PortalApp.Button(page, "Sign out").ClickAsync();
        await PortalApp.ArrivedAsync(page, "/signin\\?signed-out=1$");
        await Expect(page.GetByText("Signed out", new() { Exact = true })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "signed-out");
        await page.GotoAsync(_portal.Url("/deliveries"));
        await PortalApp.ArrivedAsync(page, "/signin\\?returnUrl=");

        var revoked = await _portal.DatabaseAsync<long>(
            "SELECT count(*) FROM portal_sessions s JOIN users u ON u.id = s.user_id WHERE u.tenant_id = $1 AND s.revoked_at IS NOT NULL", tenant.Id);
        Assert.Equal(1, revoked);

        var copy = await _portal.OpenAsync(state, "/endpoints");
        await PortalApp.ArrivedAsync(copy, "/signin\\?error=ended$");
        await Expect(copy.GetByText("Your session has ended")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Two_tenants_signed_in_at_once_each_see_only_their_own_endpoints()
    {
        var a = await _portal.CreateTenantAsync("Alpha Co");
        var b = await _portal.CreateTenantAsync("Beta Co");
        var (_, _) = await _portal.CreateEndpointAsync(a, "https://alpha.example/hooks", "sale.created");
        var (betaHook, _) = await _portal.CreateEndpointAsync(b, "https://beta.example/hooks", "sale.created");

        var alpha = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(alpha, a.OwnerApiKey);
        var beta = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(beta, b.OwnerApiKey);

        await Expect(alpha.GetByText("https://alpha.example/hooks")).ToBeVisibleAsync();
        await Expect(alpha.GetByText("https://beta.example/hooks")).ToHaveCountAsync(0);
        await Expect(beta.GetByText("https://beta.example/hooks")).ToBeVisibleAsync();
        await Expect(beta.GetByText("https://alpha.example/hooks")).ToHaveCountAsync(0);
        await Screenshots.TakeAsync(alpha, "endpoints-list");

        // Beta's endpoint by its id, in Alpha's session: not found, nothing of it shown.
        await alpha.GotoAsync(_portal.Url($"/endpoints/{betaHook}"));
        await Expect(alpha.GetByText("This endpoint could not be loaded")).ToBeVisibleAsync();
        await Expect(alpha.GetByText("https://beta.example/hooks")).ToHaveCountAsync(0);
        await Expect(alpha.GetByText("Alpha Co", new() { Exact = true })).ToBeVisibleAsync();
    }
}
