using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using HealthChecks.NpgSql;

namespace Webhooks.AppHost.Infrastructure;

internal static class LocalPostgres
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>Postgres 15 as a local process with a fresh data directory. Postgres refuses to run as root, so as root
    /// it runs through <c>setpriv</c> as the <c>postgres</c> user (setpriv execs in place, so DCP still owns it).</summary>
    public static (IResourceBuilder<IResource> Server, IResourceBuilder<IResourceWithConnectionString> Database)
        AddLocalPostgres(this IDistributedApplicationBuilder builder, string serverName, string databaseName)
    {
        var postgresBinary = Path.Combine(BinDirectory, "postgres");
        LocalRedis.RequireBinary(postgresBinary, "postgresql");
        var dataDirectory = LocalDataDirectories.Create(serverName);
        var runAsPostgres = Environment.UserName == "root";

        string[] serverArgs =
        [
            "-D", dataDirectory,
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"unix_socket_directories={dataDirectory}",
            "-c", "max_connections=300",
            // Lets an operator see which statements cost the most (CREATE EXTENSION pg_stat_statements to read it).
            "-c", "shared_preload_libraries=pg_stat_statements",
        ];
        var server = runAsPostgres
            ? builder.AddExecutable(serverName, "setpriv", dataDirectory,
                ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", postgresBinary, .. serverArgs])
            : builder.AddExecutable(serverName, postgresBinary, dataDirectory, serverArgs);
        // Postgres reads its port from PGPORT.
        server.WithEndpoint(name: "tcp", scheme: "tcp", env: "PGPORT", isProxied: false);
        var endpoint = server.GetEndpoint("tcp");

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server.Resource, (_, ct) =>
            InitializeDataDirectoryAsync(dataDirectory, databaseName, runAsPostgres, ct));

        var healthCheckKey = $"{serverName}_check";
        builder.Services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(
            healthCheckKey,
            _ => new NpgSqlHealthCheck(new NpgSqlHealthCheckOptions(
                $"Host=127.0.0.1;Port={endpoint.Port};Username=postgres;Database={databaseName};Timeout=3")),
            failureStatus: default, tags: default));
        server.WithHealthCheck(healthCheckKey);

        var database = builder.AddConnectionString(databaseName, ReferenceExpression.Create(
            $"Host=127.0.0.1;Port={endpoint.Property(EndpointProperty.Port)};Username=postgres;Database={databaseName}"));
        return (server, database);
    }

    /// <summary>initdb, then create the database in single-user mode, so the server starts with it in place.</summary>
    private static async Task InitializeDataDirectoryAsync(string dataDirectory, string databaseName, bool runAsPostgres, CancellationToken ct)
    {
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION"))) return;
        if (runAsPostgres) await RunAsync("chown", ["postgres:postgres", dataDirectory], null, ct);
        await RunAsync(Path.Combine(BinDirectory, "initdb"),
            ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"], null, ct, runAsPostgres);
        await RunAsync(Path.Combine(BinDirectory, "postgres"),
            ["--single", "-D", dataDirectory, "postgres"], $"CREATE DATABASE {databaseName};\n", ct, runAsPostgres);
    }

    private static async Task RunAsync(string file, string[] args, string? input, CancellationToken ct, bool runAsPostgres = false)
    {
        var info = runAsPostgres
            ? new ProcessStartInfo("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", file, .. args])
            : new ProcessStartInfo(file, args);
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
    }
}
