using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Demo;

/// <summary>
/// What the simulator bootstrapped through the Api, in a file of the AppHost run's demo folder: the demo tenant's key,
/// so a restarted simulator reuses its tenant and webhooks instead of making new ones, and each webhook's signing
/// secret, which the receiver needs to verify deliveries. (Shared by both demo projects as a linked file.)
/// </summary>
internal sealed record DemoState(string? ApiKey, Dictionary<string, DemoWebhook> Webhooks)
{
    public const string FileName = "demo-state.json";

    public static DemoState Empty => new(null, []);

    public static DemoState Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return Empty;
        return JsonSerializer.Deserialize(File.ReadAllText(path), DemoStateJson.Default.DemoState) ?? Empty;
    }

    /// <summary>Written whole to a temporary file, then moved over the old one, so a reader never sees half a file.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, DemoStateJson.Default.DemoState));
        File.Move(temporary, path, overwrite: true);
    }
}

/// <param name="Path">The receiver's path for this webhook, e.g. <c>/hooks/backoffice</c>.</param>
internal sealed record DemoWebhook(Guid Id, string Path, string Secret);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(DemoState))]
internal sealed partial class DemoStateJson : JsonSerializerContext;
