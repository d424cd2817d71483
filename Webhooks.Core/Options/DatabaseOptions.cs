namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Webhooks:Database";

    /// <summary>The Api applies EF migrations at start (default true).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}
