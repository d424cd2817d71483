using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Webhooks.Tests.Infrastructure;

/// <summary>
/// A real 3-master Redis Cluster from the machine's own <c>redis-server</c> and <c>redis-cli</c> (no container): three
/// nodes with <c>--cluster-enabled yes</c>, joined by <c>redis-cli --cluster create</c>. Client and cluster-bus ports
/// are ports the OS just handed out, so the cluster never collides with the AppHost's (random) ports or another run's.
/// The services are given only <see cref="ConnectionString"/>, the node list, as a managed cluster would be given.
/// </summary>
public sealed class LocalRedisCluster : IAsyncDisposable
{
    public const int Masters = 3;
    private const string Server = "/usr/bin/redis-server";
    private const string Cli = "/usr/bin/redis-cli";
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "webhooks-tests-redis-cluster");

    private readonly List<Process> _nodes = [];
    private readonly string _directory;

    private LocalRedisCluster(string directory, int[] ports)
    {
        _directory = directory;
        Ports = ports;
    }

    public IReadOnlyList<int> Ports { get; }

    /// <summary>Every node, comma-separated: all a client needs to find the cluster.</summary>
    public string ConnectionString => string.Join(',', Ports.Select(p => $"127.0.0.1:{p}"));

    public static async Task<LocalRedisCluster> StartAsync(CancellationToken ct)
    {
        foreach (var binary in new[] { Server, Cli })
            if (!File.Exists(binary)) throw new InvalidOperationException($"{binary} is missing: scripts/setup.sh installs redis-server and redis-tools.");
        RemoveStale();
        var directory = Path.Combine(Root, $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(directory);
        var ports = FreePorts(2 * Masters);
        var cluster = new LocalRedisCluster(directory, ports[..Masters]);
        try
        {
            for (var i = 0; i < Masters; i++) cluster.StartNode(ports[i], ports[Masters + i]);
            foreach (var port in cluster.Ports)
                await Eventually.True(async () => (await RunCliAsync(["-p", port.ToString(), "ping"], ct)).Output.Trim() == "PONG",
                    $"redis-server on {port} to answer");
            var create = await RunCliAsync(["--cluster", "create", .. cluster.Ports.Select(p => $"127.0.0.1:{p}"),
                "--cluster-replicas", "0", "--cluster-yes"], ct);
            if (create.ExitCode != 0) throw new InvalidOperationException($"redis-cli --cluster create failed: {create.Output}");
            await cluster.WaitReadyAsync(ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until every node says <c>cluster_state:ok</c> and knows all masters.</summary>
    public async Task WaitReadyAsync(CancellationToken ct)
    {
        foreach (var port in Ports)
            await Eventually.True(async () =>
            {
                var info = (await RunCliAsync(["-p", port.ToString(), "cluster", "info"], ct)).Output;
                return info.Contains("cluster_state:ok", StringComparison.Ordinal)
                       && info.Contains($"cluster_known_nodes:{Masters}", StringComparison.Ordinal);
            }, $"cluster node {port} to be ok");
    }

    /// <summary>FLUSHALL on every node: the whole cluster forgets every key at once, as a failed-over managed Redis
    /// without persistence would.</summary>
    /// <param name="exceptPort">A node left alone (one the caller flushes itself).</param>
    public async Task FlushAllAsync(CancellationToken ct, int? exceptPort = null)
    {
        foreach (var port in Ports.Where(p => p != exceptPort))
        {
            var flushed = await RunCliAsync(["-p", port.ToString(), "flushall"], ct);
            if (flushed.Output.Trim() != "OK") throw new InvalidOperationException($"FLUSHALL on {port}: {flushed.Output}");
        }
    }

    private void StartNode(int port, int busPort)
    {
        var info = new ProcessStartInfo(Server,
        [
            "--port", port.ToString(), "--cluster-port", busPort.ToString(), "--bind", "127.0.0.1",
            "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(_directory, $"nodes-{port}.conf"),
            "--dir", _directory, "--pidfile", Path.Combine(_directory, $"redis-{port}.pid"),
            "--save", "", "--appendonly", "no", "--logfile", Path.Combine(_directory, $"redis-{port}.log"),
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _nodes.Add(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Server}."));
    }

    private static async Task<(int ExitCode, string Output)> RunCliAsync(string[] args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(Cli, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Cli}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Ports the OS handed out just now (all held until every one is picked, so they are distinct).</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ =>
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return listener;
        }).ToList();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    /// <summary>A test run that died without disposing leaves its nodes running: stop those (found by the pid files
    /// this class wrote, and only if still redis-server) and remove their directories.</summary>
    private static void RemoveStale()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            if (int.TryParse(Path.GetFileName(directory).Split('-')[0], out var owner) && IsAlive(owner)) continue;
            foreach (var pidFile in Directory.EnumerateFiles(directory, "*.pid"))
            {
                if (!int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) continue;
                try
                {
                    using var node = Process.GetProcessById(pid);
                    if (node.ProcessName.StartsWith("redis-server", StringComparison.Ordinal)) node.Kill();
                }
                catch (ArgumentException)
                {
                    // already gone
                }
            }
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
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

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (!node.HasExited) node.Kill();
            await node.WaitForExitAsync();
            node.Dispose();
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
