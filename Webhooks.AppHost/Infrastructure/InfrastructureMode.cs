using System.Diagnostics;

namespace Webhooks.AppHost.Infrastructure;

/// <summary>How Postgres and Redis run: <c>AppHost:Infrastructure</c> = auto (default) | containers | processes.</summary>
public enum InfrastructureMode
{
    Auto,
    Containers,
    Processes,
}

public static class InfrastructureModeDetector
{
    public const string ConfigKey = "AppHost:Infrastructure";

    public static InfrastructureMode Resolve(string? configured)
    {
        var mode = string.IsNullOrWhiteSpace(configured)
            ? InfrastructureMode.Auto
            : Enum.TryParse<InfrastructureMode>(configured, ignoreCase: true, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"{ConfigKey} must be auto, containers or processes (was '{configured}').");
        return mode != InfrastructureMode.Auto ? mode
            : ContainerRuntimeAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Processes;
    }

    // `docker info` exits 0 only when a daemon answers; the CLI alone (as on our CI machines) is not enough.
    private static bool ContainerRuntimeAnswers()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("docker", ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null) return false;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no docker CLI at all
        }
    }
}
