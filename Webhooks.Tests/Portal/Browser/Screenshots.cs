using Microsoft.Playwright;

namespace Webhooks.Tests.Portal.Browser;

/// <summary>Full-page screenshots kept as test artifacts under <c>TestResults/portal-screenshots/</c> at the
/// repository root (where ./test.sh writes its results), named after the test and the step.</summary>
internal static class Screenshots
{
    public static readonly string Directory = Path.Combine(RepositoryRoot(), "TestResults", "portal-screenshots");

    public static async Task TakeAsync(IPage page, string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, name + ".png"), FullPage = true });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Webhooks.sln"))) return dir.FullName;
        }
        return AppContext.BaseDirectory;
    }
}
