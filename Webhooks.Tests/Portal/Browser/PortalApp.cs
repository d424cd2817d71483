using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using Webhooks.Core;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Portal.Browser;

/// <summary>The whole app's portal as a browser sees it, and the Api beside it to set the scene (tenants, events)
/// the way a tenant's own systems would.</summary>
internal sealed class PortalApp(AppFixture app, BrowserFixture browser) : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _browserErrors = [];

    public Uri BaseUrl => app.App.GetEndpoint(ResourceNames.Portal, "http");

    public string Url(string path) => new Uri(BaseUrl, path).AbsoluteUri;

    public Task WaitHealthyAsync() => app.WaitHealthyAsync(ResourceNames.Portal);

    /// <summary>A tenant made by the admin, with its owner's API key.</summary>
    public async Task<PortalTenant> CreateTenantAsync(string name)
    {
        using var admin = app.CreateApiClient(AppFixture.AdminApiKey);
        var response = await admin.PostAsJsonAsync("/v1/tenants",
            new { name, owner = new { email = $"owner-{Guid.NewGuid():N}@example.com", name = $"{name} Owner" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return new PortalTenant(name, body.GetProperty("id").GetGuid(), body.GetProperty("apiKey").GetString()!);
    }

    public HttpClient ApiAs(PortalTenant tenant) => app.CreateApiClient(tenant.OwnerApiKey);

    /// <summary>Registers an endpoint through the Api, as a tenant's own systems would.</summary>
    public async Task<(Guid Id, string Secret)> CreateEndpointAsync(PortalTenant tenant, string url, params string[] events)
    {
        using var api = ApiAs(tenant);
        var response = await api.PostAsJsonAsync("/v1/webhooks", new { url, events }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (body.GetProperty("id").GetGuid(), body.GetProperty("secret").GetString()!);
    }

    /// <summary>Publishes an event through the Api and returns its first delivery's id.</summary>
    public async Task<Guid> PublishAsync(PortalTenant tenant, string type, object data)
    {
        using var api = ApiAs(tenant);
        var response = await api.PostAsJsonAsync("/v1/events", new { type, data }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return body.GetProperty("deliveries")[0].GetProperty("id").GetGuid();
    }

    /// <summary>Mints a one-time portal link for the tenant's owner, as the tenant's product would.</summary>
    public async Task<(string Url, DateTimeOffset ExpiresAt)> CreateLinkAsync(PortalTenant tenant)
    {
        using var api = ApiAs(tenant);
        var response = await api.PostAsync("/v1/portal-links", null, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (body.GetProperty("url").GetString()!, body.GetProperty("expiresAt").GetDateTimeOffset());
    }

    /// <summary>Runs SQL against the app's database: for what a browser test cannot wait for (a link's minutes passing)
    /// or cannot see (whether a session's credential was revoked).</summary>
    public async Task<T?> DatabaseAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new Npgsql.NpgsqlConnection(await app.App.GetConnectionStringAsync(ResourceNames.Database, Ct));
        await connection.OpenAsync(Ct);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters) command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = parameter });
        var result = await command.ExecuteScalarAsync(Ct);
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>A new browser profile on a page of the portal (a path, or a whole URL such as a sign-in link).</summary>
    public Task<IPage> OpenAsync(string path = "/signin") => OpenAsync(null, path);

    /// <summary>A new browser profile holding <paramref name="storageState"/> (another profile's cookies), on a page.</summary>
    public async Task<IPage> OpenAsync(string? storageState, string path)
    {
        var context = await browser.NewContextAsync(storageState);
        _contexts.Add(context);
        context.SetDefaultTimeout((float)TestTimeouts.Condition.TotalMilliseconds);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (_browserErrors) _browserErrors.Add(message.Text);
        };
        await page.GotoAsync(path.StartsWith("http", StringComparison.Ordinal) ? path : Url(path));
        return page;
    }

    /// <summary>Waits until the page's URL matches <paramref name="pattern"/> (a regular expression), polling the URL.
    /// Not <c>WaitForURLAsync</c>: when the URL already matched, it waited for a "load" event that Blazor's navigation
    /// had already consumed, and CI twice timed out on a page showing the expected content (its screenshots).</summary>
    public static Task ArrivedAsync(IPage page, string pattern) => Assertions.Expect(page).ToHaveURLAsync(new Regex(pattern));

    /// <summary>Signs in on the sign-in page with an API key and waits for the endpoints page.</summary>
    public static async Task SignInWithKeyAsync(IPage page, string apiKey)
    {
        // The field is Fluent UI's text input, a web component: its <input> lives in its shadow root.
        await page.Locator("#api-key input").FillAsync(apiKey);
        await Button(page, "Sign in").ClickAsync();
        await ArrivedAsync(page, "/endpoints$");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Endpoints", Level = 1 })).ToBeVisibleAsync();
    }

    /// <summary>A button (or a link styled as one) by its text. Fluent UI's buttons are <c>fluent-button</c> and
    /// <c>fluent-anchor-button</c> web components whose role lives in ElementInternals, which Playwright's role selectors
    /// do not read (the browser's accessibility tree does).</summary>
    public static ILocator Button(IPage page, string text) => Button(page.Locator("body"), text);

    public static ILocator Button(ILocator scope, string text) =>
        scope.Locator("fluent-button, fluent-anchor-button, button").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{System.Text.RegularExpressions.Regex.Escape(text)}\\s*$") });

    /// <summary>Closes the test's browsers, first keeping a screenshot of each page when the test failed.</summary>
    public async ValueTask DisposeAsync()
    {
        var failed = TestContext.Current.TestState?.Result == TestResult.Failed;
        if (failed)
        {
            // With DetailedErrors (Development), a circuit's exception reaches the browser console: show it with the failure.
            lock (_browserErrors)
                foreach (var error in _browserErrors) TestContext.Current.TestOutputHelper?.WriteLine("browser console: " + error);
        }
        var test = TestContext.Current.Test?.TestDisplayName.Split('.').Last() ?? "test";
        for (var i = 0; i < _contexts.Count; i++)
        {
            if (failed)
            {
                foreach (var page in _contexts[i].Pages) await Screenshots.TakeAsync(page, $"FAILED-{test}-{i}");
            }
            await _contexts[i].CloseAsync();
        }
    }
}

internal sealed record PortalTenant(string Name, Guid Id, string OwnerApiKey);
