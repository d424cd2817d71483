using System.Diagnostics;

namespace Webhooks.Bench;

internal static class Repository
{
    /// <summary>The folder holding Webhooks.sln, looked for from the working directory, then from the binary's.</summary>
    public static string Root()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Webhooks.sln"))) return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }

    /// <summary>The short commit, with "+changes" when the work tree differs from it.</summary>
    public static string Commit(string root)
    {
        var commit = Git(root, "rev-parse --short HEAD");
        if (commit is null) return "(no git)";
        return string.IsNullOrWhiteSpace(Git(root, "status --porcelain --untracked-files=no")) ? commit : commit + "+changes";
    }

    private static string? Git(string root, string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", arguments) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true });
            if (git is null) return null;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
