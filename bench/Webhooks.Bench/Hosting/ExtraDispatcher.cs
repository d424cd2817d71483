using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Webhooks.Bench.Hosting;

/// <summary>
/// One more Dispatcher beside the AppHost's: the same program, started with the same command line, working directory
/// and environment as the AppHost gave its Dispatcher (read from /proc), on a port of its own. The scaling scenario
/// adds these one at a time without restarting the app, so every run has the same warm Api, Postgres and Redis.
/// Being this bench's children, the process monitor counts them in the "dispatcher" group.
/// </summary>
internal sealed class ExtraDispatcher : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly Uri _address;

    private ExtraDispatcher(Process process, Uri address)
    {
        _process = process;
        _address = address;
    }

    /// <param name="settings">Environment variables to set on top of the AppHost's (e.g. <c>Webhooks__Retention__Schedule</c>).</param>
    public static async Task<ExtraDispatcher> StartAsync(int number, CancellationToken ct, IReadOnlyDictionary<string, string>? settings = null)
    {
        var model = ProcessMonitor.DispatcherProcesses().FirstOrDefault()
            ?? throw new InvalidOperationException("The AppHost's Dispatcher process was not found.");
        var info = new ProcessStartInfo(model.Arguments[0], model.Arguments[1..])
        {
            WorkingDirectory = ProcFs.WorkingDirectory(model.Pid),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment.Clear();
        foreach (var (key, value) in ProcFs.Environment(model.Pid)) info.Environment[key] = value;
        // Its own port; the AppHost's port settings would clash with the first Dispatcher's.
        foreach (var key in info.Environment.Keys.Where(k => k.EndsWith("PORTS", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        info.Environment["ASPNETCORE_URLS"] = address.ToString();
        info.Environment["OTEL_SERVICE_INSTANCE_ID"] = $"bench-dispatcher-{number}";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start a Dispatcher.");
        // Drained, not kept: the services' log file has the AppHost's Dispatcher; these run the same code.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var dispatcher = new ExtraDispatcher(process, address);
        await dispatcher.WaitHealthyAsync(ct);
        return dispatcher;
    }

    private async Task WaitHealthyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = _address, Timeout = TimeSpan.FromSeconds(5) };
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < StartTimeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"An extra Dispatcher exited with {_process.ExitCode} while starting.");
            try
            {
                using var response = await http.GetAsync("/health", ct);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
        throw new TimeoutException($"An extra Dispatcher was not healthy within {StartTimeout.TotalSeconds:0} s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGTERM, so it hands its claims back as it would in production; killed if it does not stop in time.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
    }
}
