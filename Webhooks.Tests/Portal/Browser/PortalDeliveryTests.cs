using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Webhooks.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Webhooks.Tests.Portal.Browser;

/// <summary>What a tenant does in the portal once signed in: add an endpoint and keep its secret, watch an event's
/// delivery arrive with its attempts, retry a failed one, and hear about an endpoint that keeps failing. The whole
/// app runs with its retry schedule shrunk to milliseconds, and the receiver is a real HTTP server.</summary>
[Collection(AppCollection.Name)]
public sealed class PortalDeliveryTests(AppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly PortalApp _portal = new(app, browser);
    private TestReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await TestReceiver.StartAsync();
        await _portal.WaitHealthyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task Adding_an_endpoint_shows_its_signing_secret_once_and_it_signs_what_arrives()
    {
        var tenant = await _portal.CreateTenantAsync("Secret Co");
        var page = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(page, tenant.OwnerApiKey);

        await PortalApp.Button(page, "Add your first endpoint").ClickAsync();
        await page.GetByLabel("URL").FillAsync(_receiver.Url("/secret"));
        await page.GetByLabel("Description (optional)").FillAsync("Orders service");
        await page.GetByLabel("sale.created").CheckAsync();
        await page.GetByLabel("inventory.low_stock").CheckAsync();
        await Screenshots.TakeAsync(page, "endpoint-new");
        await PortalApp.Button(page, "Add endpoint").ClickAsync();

        var secretField = page.GetByLabel("Signing secret");
        await Expect(secretField).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^whsec_"));
        var secret = await secretField.InputValueAsync();
        await Expect(page.GetByText("it is shown only this once")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "endpoint-secret-once");

        // The secret shown is the one that signs: publish, and check the classic signature with it.
        await _portal.PublishAsync(tenant, "sale.created", new { saleId = 7 });
        await Eventually.True(() => Task.FromResult(_receiver.ReceivedAt("/secret").Count >= 1), "the event to arrive");
        var received = _receiver.ReceivedAt("/secret")[0];
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(received.Body))),
            received.Headers["X-Webhook-Signature"]);

        // Never again: not on the endpoint's page, not in the list.
        await PortalApp.Button(page, "I stored the secret: go to the endpoint").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = _receiver.Url("/secret") })).ToBeVisibleAsync();
        await Expect(page.GetByText("Orders service")).ToBeVisibleAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync());
        await page.GotoAsync(_portal.Url("/endpoints"));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = _receiver.Url("/secret") })).ToBeVisibleAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync());
    }

    [Fact]
    public async Task A_published_event_appears_on_the_deliveries_page_and_its_page_shows_every_attempt()
    {
        var tenant = await _portal.CreateTenantAsync("Watch Co");
        await _portal.CreateEndpointAsync(tenant, _receiver.Url("/watch"), "sale.created");
        var page = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(page, tenant.OwnerApiKey);
        await page.GetByRole(AriaRole.Link, new() { Name = "Deliveries" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No deliveries yet" })).ToBeVisibleAsync();

        // Published while the page is open: the page shows it without a click.
        var deliveryId = await _portal.PublishAsync(tenant, "sale.created", new { saleId = 42, total = 10.5 });
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "sale.created" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.GetByText("success")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "deliveries-list");

        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await PortalApp.ArrivedAsync(page, $"/deliveries/{deliveryId}$");
        var attempt = page.GetByRole(AriaRole.Article, new() { Name = "Attempt 1" });
        await Expect(attempt.GetByText("HTTP 200")).ToBeVisibleAsync();
        await attempt.GetByText("Request headers").ClickAsync();
        await Expect(attempt.GetByRole(AriaRole.Table, new() { Name = "Request headers of attempt 1" })).ToContainTextAsync(deliveryId.ToString());
        await Expect(attempt.GetByRole(AriaRole.Table, new() { Name = "Request headers of attempt 1" })).ToContainTextAsync("webhook-signature");
        await Screenshots.TakeAsync(page, "delivery-success");

        // The filters: by status and event type.
        await page.GotoAsync(_portal.Url("/deliveries"));
        await page.Locator("#filter-status").SelectOptionAsync("failed");
        await PortalApp.Button(page, "Apply filters").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No delivery matches these filters" })).ToBeVisibleAsync();
        await page.Locator("#filter-status").SelectOptionAsync("success");
        await page.Locator("#filter-event-type").SelectOptionAsync("sale.created");
        await PortalApp.Button(page, "Apply filters").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "sale.created" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_from_its_page_and_succeeds_once_the_receiver_is_fixed()
    {
        var tenant = await _portal.CreateTenantAsync("Retry Co");
        var path = "/retry-" + Guid.NewGuid().ToString("N")[..8];
        var broken = true;
        AnswerAt(path, () => broken ? 500 : 200);
        await _portal.CreateEndpointAsync(tenant, _receiver.Url(path), "inventory.low_stock");
        var deliveryId = await _portal.PublishAsync(tenant, "inventory.low_stock", new { sku = "A-1" });

        var page = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(page, tenant.OwnerApiKey);
        await page.GotoAsync(_portal.Url($"/deliveries/{deliveryId}"));
        // Six attempts on the shrunk schedule, then failed; the page follows it there by itself.
        await Expect(page.Locator("#delivery-status")).ToHaveTextAsync("failed");
        await Expect(page.GetByRole(AriaRole.Article)).ToHaveCountAsync(6);
        await Expect(page.GetByRole(AriaRole.Article, new() { Name = "Attempt 6" }).GetByText("HTTP 500")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "delivery-failed");

        broken = false;
        await PortalApp.Button(page, "Retry now").ClickAsync();
        await Expect(page.Locator("#delivery-status")).ToHaveTextAsync("success");
        await Expect(page.GetByRole(AriaRole.Article, new() { Name = "Attempt 7" }).GetByText("HTTP 200")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "delivery-retried");
    }

    [Fact]
    public async Task Three_failures_in_a_row_raise_a_notification_that_can_be_marked_read()
    {
        var tenant = await _portal.CreateTenantAsync("Alert Co");
        var path = "/alert-" + Guid.NewGuid().ToString("N")[..8];
        AnswerAt(path, () => 503);
        var (endpointId, _) = await _portal.CreateEndpointAsync(tenant, _receiver.Url(path), "customer.created");
        var page = await _portal.OpenAsync();
        await PortalApp.SignInWithKeyAsync(page, tenant.OwnerApiKey);

        var deliveryId = await _portal.PublishAsync(tenant, "customer.created", new { customerId = 1 });
        // Its six attempts fail (alerts at 3 and 5 in a row); once it has failed for good no alert can arrive while the
        // test counts the unread ones.
        using (var api = _portal.ApiAs(tenant))
        {
            await Eventually.Get(
                async () => (await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries/{deliveryId}", TestContext.Current.CancellationToken)).GetProperty("status").GetString(),
                status => status == "failed", "the delivery to fail for good");
        }
        var failing = page.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "has failed 3 times in a row" });
        var rendered = page.GetByRole(AriaRole.List, new() { Name = "Notifications" })
            .Or(page.GetByRole(AriaRole.Heading, new() { Name = "Nothing to report" }));
        await Eventually.True(async () =>
        {
            // Count only once the page has rendered what it loaded: on a busy box the circuit takes longer to start
            // than the poll interval, and counting an unrendered page reloaded it forever.
            await page.GotoAsync(_portal.Url("/notifications"));
            await Expect(rendered).ToBeVisibleAsync();
            return await failing.CountAsync() > 0;
        }, "the notification about three failures");
        await Expect(failing).ToContainTextAsync(_receiver.Url(path));
        await Expect(failing).ToContainTextAsync("HTTP 503");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Notifications:" }).First).ToHaveAttributeAsync("aria-label",
            new System.Text.RegularExpressions.Regex(@"Notifications: \d+ unread"));
        await Screenshots.TakeAsync(page, "notifications");

        var unreadBefore = int.Parse((await page.Locator("#unread-count").TextContentAsync())!.Split(' ')[0]);
        await PortalApp.Button(failing, "Mark as read").ClickAsync();
        await Expect(failing.GetByText("read", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("#unread-count")).ToHaveTextAsync($"{unreadBefore - 1} unread");

        // The endpoint's page tells the same story: failing, and the chart shows its failed attempts.
        await page.GotoAsync(_portal.Url($"/endpoints/{endpointId}"));
        await Expect(page.GetByText(new System.Text.RegularExpressions.Regex("^failing: \\d+ in a row$"))).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "0% of" })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "endpoint-failing");
    }

    private void AnswerAt(string path, Func<int> status)
    {
        var previous = _receiver.Respond;
        _receiver.Respond = (context, request) =>
        {
            if (request.Path != path) return previous(context, request);
            context.Response.StatusCode = status();
            return Task.CompletedTask;
        };
    }
}
