using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Webhooks.Tests.Infrastructure;

/// <summary>
/// The Api or the Dispatcher as a real process of its own (<c>dotnet Webhooks.X.dll</c> from the project's build
/// output, the configuration these tests were built in), configured through environment variables as an orchestrator
/// would, listening on a port of its own. <see cref="Kill"/> is SIGKILL: the process gets no chance to finish anything.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string _dll;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly Queue<string> _lastLines = new();
    private Process? _process;

    private ServiceProcess(string name, string dll, IReadOnlyDictionary<string, string> environment, int port)
    {
        Name = name;
        _dll = dll;
        _environment = environment;
        Port = port;
    }

    public string Name { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");
    public int Pid => _process?.Id ?? 0;

    /// <param name="project">Webhooks.Api or Webhooks.Dispatcher.</param>
    public static ServiceProcess Create(string name, string project, IReadOnlyDictionary<string, string> environment)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        // Webhooks.Tests/bin/<Configuration>/<tfm>/ → <repo>/<project>/bin/<Configuration>/<tfm>/<project>.dll
        var repo = configuration.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(repo, project, "bin", configuration.Parent.Name, configuration.Name, project + ".dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing: build the solution first.");
        return new ServiceProcess(name, dll, environment, FreePort());
    }

    public void Start()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException($"{Name} is already running.");
        _process?.Dispose();
        var info = new ProcessStartInfo("dotnet", [_dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
        };
        foreach (var (key, value) in _environment) info.Environment[key] = value;
        info.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString();
        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Name}.");
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits until <c>/health</c> answers 200; on time-out, says what it answered and what the process logged.</summary>
    public async Task WaitHealthyAsync(TimeSpan? timeout = null)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var last = "no answer yet";
        try
        {
            await Eventually.True(async () =>
            {
                if (_process is null || _process.HasExited)
                    throw new InvalidOperationException($"{Name} exited ({_process?.ExitCode}):\n{LastLines()}");
                try
                {
                    var response = await http.GetAsync("/health", TestContext.Current.CancellationToken);
                    last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}";
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException e)
                {
                    last = e.Message;
                    return false;
                }
                catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    last = "no answer within 5 s";
                    return false;
                }
            }, $"{Name} to be healthy", timeout ?? TestTimeouts.AppStart);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; /health: {last}; its last lines:\n{LastLines()}", e);
        }
    }

    /// <summary>SIGKILL, then waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public string LastLines()
    {
        lock (_lastLines) return string.Join('\n', _lastLines);
    }

    private void Remember(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40) _lastLines.Dequeue();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
