using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;

namespace Webhooks.Bench.Receiving;

/// <summary>
/// The bench's side of the webhook receiver, which runs as a process of its own (<see cref="ReceiverProcess"/>): starts
/// it, keeps a copy of each path's <see cref="Inbox"/> fed by the receiver's stream of arrivals (stamped over there),
/// and forwards holding, opening and slowing a path. An arrival shows here a moment after it was stamped: scenarios
/// wait for arrivals anyway.
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly HttpClient _control;
    /// <summary>The stream of arrivals stays open for the whole run.</summary>
    private readonly HttpClient _stream;
    private readonly ConcurrentDictionary<string, Inbox> _inboxes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _streaming = Task.CompletedTask;

    private Receiver(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        _control = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        _stream = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Timeout.InfiniteTimeSpan };
    }

    public string BaseUrl { get; }

    /// <summary>The receiver process, for the CPU table.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The endpoint at <paramref name="path"/> (the receiver makes one for any path on first use).</summary>
    public Inbox At(string path) => _inboxes.GetOrAdd(path, p => new Inbox(BaseUrl + p, failFirst: p.StartsWith("/fail-first", StringComparison.Ordinal)));

    /// <summary>Holds every request to <paramref name="inbox"/> from now on, unanswered, until <see cref="OpenAsync"/>.</summary>
    public Task HoldAsync(Inbox inbox, CancellationToken ct) => ControlAsync($"/_bench/hold?path={PathOf(inbox)}", ct);

    public Task OpenAsync(Inbox inbox, CancellationToken ct) => ControlAsync($"/_bench/open?path={PathOf(inbox)}", ct);

    /// <summary>Each request to <paramref name="inbox"/> is answered <paramref name="delay"/> after it arrived.</summary>
    public Task SetDelayAsync(Inbox inbox, TimeSpan delay, CancellationToken ct) =>
        ControlAsync($"/_bench/delay?path={PathOf(inbox)}&ms={(int)delay.TotalMilliseconds}", ct);

    private string PathOf(Inbox inbox) => Uri.EscapeDataString(inbox.Url[BaseUrl.Length..]);

    private async Task ControlAsync(string uri, CancellationToken ct)
    {
        using var response = await _control.PostAsync(uri, null, ct);
        response.EnsureSuccessStatusCode();
    }

    public static async Task<Receiver> StartAsync()
    {
        var dll = typeof(Receiver).Assembly.Location;
        var host = Environment.ProcessPath!;
        // `dotnet Webhooks.Bench.dll` (as ./bench.sh runs it) or the apphost executable.
        string[] arguments = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [dll, ReceiverProcess.Argument] : [ReceiverProcess.Argument];
        var start = new ProcessStartInfo(host, arguments)
        {
            RedirectStandardInput = true, // closed when the bench exits: the receiver stops then
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the receiver process.");
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || !line.StartsWith(ReceiverProcess.ListeningPrefix, StringComparison.Ordinal))
                throw new InvalidOperationException($"The receiver process did not start: {line ?? "(exited)"}");
            var receiver = new Receiver(process, line[ReceiverProcess.ListeningPrefix.Length..]);
            receiver._streaming = await receiver.StartStreamingAsync();
            return receiver;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Opens the stream of arrivals (once its headers are in, nothing is missed) and reads it until disposal.</summary>
    private async Task<Task> StartStreamingAsync()
    {
        var response = await _stream.GetAsync("/_bench/arrivals", HttpCompletionOption.ResponseHeadersRead, _stop.Token);
        response.EnsureSuccessStatusCode();
        var stream = await response.Content.ReadAsStreamAsync(_stop.Token);
        return Task.Run(async () =>
        {
            using (response)
            {
                var reader = PipeReader.Create(stream);
                try
                {
                    while (true)
                    {
                        var read = await reader.ReadAsync(_stop.Token);
                        var buffer = read.Buffer;
                        while (ReceiverProcess.TryRead(ref buffer, out var path, out var arrival)) At(path).Add(arrival);
                        reader.AdvanceTo(buffer.Start, buffer.End);
                        if (read.IsCompleted) break;
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
                {
                }
                await reader.CompleteAsync();
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _streaming;
        _process.StandardInput.Close();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(5))) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _control.Dispose();
        _stream.Dispose();
        _stop.Dispose();
    }
}
