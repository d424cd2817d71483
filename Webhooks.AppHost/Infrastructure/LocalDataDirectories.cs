using System.Diagnostics;

namespace Webhooks.AppHost.Infrastructure;

/// <summary>
/// Data directories of local Postgres/Redis processes live under one temp folder, named with the AppHost's pid.
/// DCP does not report the processes' end, so each start removes the folders of AppHosts that are no longer alive.
/// </summary>
internal static class LocalDataDirectories
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "webhooks-apphost");

    public static string Create(string resourceName)
    {
        RemoveStale();
        var path = Path.Combine(Root, $"{Environment.ProcessId}-{resourceName}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static void RemoveStale()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(directory);
            var pidText = name.Split('-')[0];
            if (int.TryParse(pidText, out var pid) && (pid == Environment.ProcessId || IsAlive(pid))) continue;
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A directory still in use by a process we do not own; the next start tries again.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
