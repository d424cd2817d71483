using System.Diagnostics;
using System.IO.Compression;

namespace Webhooks.Tests.Client;

/// <summary><c>dotnet pack</c> turns the client and the event records into NuGet packages, each with its README, and
/// warns about nothing.</summary>
public sealed class PackageTests
{
    [Theory]
    [InlineData("Webhooks.Client", "Webhooks.Events")]
    [InlineData("Webhooks.Events", null)]
    public async Task Packs_without_warnings_with_its_readme(string project, string? dependsOn)
    {
        var output = Directory.CreateTempSubdirectory("webhooks-pack-").FullName;
        try
        {
            // The test run's own Debug build is packed: no second build on a shared box.
            var (exitCode, text) = await DotnetAsync($"pack {project}/{project}.csproj --no-build -c Debug -nologo -o {output}");

            Assert.True(exitCode == 0, text);
            Assert.DoesNotContain("warning", text, StringComparison.OrdinalIgnoreCase);
            using var package = ZipFile.OpenRead(Directory.GetFiles(output, $"{project}.*.nupkg").Single());
            Assert.Contains(package.Entries, e => e.FullName == "README.md");
            Assert.Contains(package.Entries, e => e.FullName == $"lib/net10.0/{project}.dll");
            var nuspec = await new StreamReader(package.GetEntry($"{project}.nuspec")!.Open()).ReadToEndAsync(TestContext.Current.CancellationToken);
            Assert.Contains("<readme>README.md</readme>", nuspec);
            if (dependsOn is not null) Assert.Contains($"<dependency id=\"{dependsOn}\"", nuspec);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> DotnetAsync(string arguments)
    {
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Webhooks.sln"))) return directory.FullName;
        throw new InvalidOperationException("Webhooks.sln not found above the test's directory.");
    }
}
