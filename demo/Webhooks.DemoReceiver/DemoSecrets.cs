using Webhooks.Demo;

namespace Webhooks.DemoReceiver;

/// <summary>The signing secret of each demo webhook, read from the state file the simulator writes (re-read when it
/// changes: the simulator may register a webhook or restart at any time).</summary>
internal sealed class DemoSecrets(IConfiguration configuration)
{
    private readonly string _directory = configuration["Demo:StateDirectory"]
        ?? throw new InvalidOperationException("Demo:StateDirectory is required: the folder where the pos-simulator writes demo-state.json.");
    private readonly Lock _lock = new();
    private (DateTime WrittenAt, DemoState State) _cached = (DateTime.MinValue, DemoState.Empty);

    /// <summary>The secret of the webhook whose URL ends with <paramref name="path"/>, or null.</summary>
    public string? For(string path)
    {
        var file = new FileInfo(Path.Combine(_directory, DemoState.FileName));
        lock (_lock)
        {
            if (file.Exists && file.LastWriteTimeUtc != _cached.WrittenAt) _cached = (file.LastWriteTimeUtc, DemoState.Read(_directory));
            return _cached.State.Webhooks.Values.FirstOrDefault(w => w.Path == path)?.Secret;
        }
    }
}
