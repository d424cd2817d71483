using Microsoft.Playwright;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Portal.Browser;

/// <summary>
/// Debian's chromium (installed by scripts/setup.sh) driven by Playwright, one browser per test class; each test gets
/// a context of its own, so cookies never cross from one test's user to another's. Playwright's own browser download
/// is never used: it needs the internet.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Where Debian installs chromium; <c>PORTAL_TESTS_CHROMIUM</c> points elsewhere.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("PORTAL_TESTS_CHROMIUM") ?? "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async ValueTask InitializeAsync()
    {
        // Pages here wait on a shared 2-core machine for the Dispatcher and the Api: generous deadlines, never sleeps.
        Assertions.SetDefaultExpectTimeout((float)TestTimeouts.Condition.TotalMilliseconds);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run"],
        });
    }

    /// <summary>A fresh browser profile: no cookies, no storage.</summary>
    public async Task<IBrowserContext> NewContextAsync(string? storageState = null) =>
        await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
            StorageState = storageState,
        });

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
