using System.Diagnostics;
using Webhooks.Tests.Client;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Management;

/// <summary>The Api's OpenAPI document passes <c>@redocly/cli lint</c> with the recommended rules: no errors. The
/// linter is the version pinned in tools/openapi-lint, installed there by scripts/setup.sh.</summary>
public sealed class OpenApiLintTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    [Fact]
    public async Task The_document_has_no_lint_errors()
    {
        var ct = TestContext.Current.CancellationToken;
        var tools = Path.Combine(PackageTests.RepositoryRoot(), "tools", "openapi-lint");
        var redocly = Path.Combine(tools, "node_modules", ".bin", "redocly");
        Assert.True(File.Exists(redocly), $"{redocly} is missing: run scripts/setup.sh, which installs the pinned linter.");

        using var client = fixture.Stack.CreateClient();
        var document = Path.Combine(Directory.CreateTempSubdirectory("webhooks-openapi-").FullName, "openapi.json");
        await File.WriteAllTextAsync(document, await client.GetStringAsync("/swagger/v1/swagger.json", ct), ct);

        var start = new ProcessStartInfo(redocly)
        {
            ArgumentList = { "lint", "--config", Path.Combine(tools, "redocly.yaml"), "--format", "stylish", document },
            RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true", ["NO_COLOR"] = "1" },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var text = await output + await errors;

        Assert.True(process.ExitCode == 0, $"redocly lint found errors:\n{text}");
        Directory.Delete(Path.GetDirectoryName(document)!, recursive: true);
    }
}
