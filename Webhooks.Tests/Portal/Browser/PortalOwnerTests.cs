using Microsoft.Playwright;
using Webhooks.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Webhooks.Tests.Portal.Browser;

/// <summary>The owner's page of users and API keys, what a member sees instead, and the event catalog.</summary>
[Collection(AppCollection.Name)]
public sealed class PortalOwnerTests(AppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly PortalApp _portal = new(app, browser);

    public async ValueTask InitializeAsync() => await _portal.WaitHealthyAsync();

    public ValueTask DisposeAsync() => _portal.DisposeAsync();

    [Fact]
    public async Task The_owner_adds_a_user_issues_and_revokes_keys_and_a_member_does_not_get_the_page()
    {
        var tenant = await _portal.CreateTenantAsync("Owner Co");
        var owner = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(owner, tenant.OwnerApiKey);
        await owner.GetByRole(AriaRole.Link, new() { Name = "Users and API keys" }).ClickAsync();
        await Expect(owner.GetByRole(AriaRole.Heading, new() { Name = "Users and API keys", Level = 1 })).ToBeVisibleAsync();

        await owner.Locator("#new-user-name").FillAsync("Max Member");
        await owner.Locator("#new-user-email").FillAsync($"max-{Guid.NewGuid():N}@example.com");
        await PortalApp.Button(owner, "Add user").ClickAsync();
        var firstKey = owner.GetByLabel("API key of Max Member");
        await Expect(firstKey).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^whk_"));
        var memberKey = await firstKey.InputValueAsync();

        var member = owner.GetByRole(AriaRole.Region, new() { Name = "Max Member" });
        await member.Locator("input[id^=key-name-]").FillAsync("CI pipeline");
        await PortalApp.Button(member, "Create API key").ClickAsync();
        await Expect(owner.GetByLabel("API key \"CI pipeline\" of Max Member")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^whk_"));
        var keys = member.GetByRole(AriaRole.Table, new() { Name = "API keys of Max Member" });
        await Expect(keys.GetByRole(AriaRole.Row).Filter(new() { HasText = "CI pipeline" })).ToHaveCountAsync(1);
        await Screenshots.TakeAsync(owner, "users-and-keys");

        await PortalApp.Button(keys.GetByRole(AriaRole.Row).Filter(new() { HasText = "CI pipeline" }), "Revoke").ClickAsync();
        await Expect(keys.GetByRole(AriaRole.Row).Filter(new() { HasText = "CI pipeline" })).ToHaveCountAsync(0);

        // The member signs in with the key the owner was shown, and has no users page.
        var asMember = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(asMember, memberKey);
        await Expect(asMember.GetByText("Max Member", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(asMember.GetByRole(AriaRole.Link, new() { Name = "Users and API keys" })).ToHaveCountAsync(0);
        await asMember.GotoAsync(_portal.Url("/users"));
        await Expect(asMember.GetByRole(AriaRole.Heading, new() { Name = "Users and API keys", Level = 1 })).ToHaveCountAsync(0);
        await Expect(asMember.GetByText(memberKey)).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_event_catalog_shows_each_type_with_its_description()
    {
        var tenant = await _portal.CreateTenantAsync("Catalog Co");
        var page = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(page, tenant.OwnerApiKey);
        await page.GetByRole(AriaRole.Link, new() { Name = "Event catalog" }).ClickAsync();
        var sale = page.GetByRole(AriaRole.Region, new() { Name = "sale.created" });
        await Expect(sale).ToBeVisibleAsync();
        await Expect(sale).ToContainTextAsync("A sale was");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "purchase_order.received" })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "event-catalog");
    }
}
