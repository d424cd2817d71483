using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Webhooks.Bench.Hosting;

/// <summary>
/// The services' own output (which Aspire forwards to the host's loggers as <c>Webhooks.AppHost.Resources.&lt;name&gt;</c>)
/// goes to a file beside the results rather than into the progress lines: it is what to read when a scenario finds
/// no deliveries.
/// </summary>
internal sealed class ServiceLogFile : ILoggerProvider
{
    public const string Category = "Webhooks.AppHost.Resources";

    private readonly BlockingCollection<string> _lines = new(boundedCapacity: 100_000);
    private readonly Lazy<Task> _writer;

    public ServiceLogFile(string path)
    {
        Path = path;
        _writer = new(() => Task.Run(() => Write(path)));
    }

    public string Path { get; }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    private void Add(string line)
    {
        _ = _writer.Value;
        _lines.TryAdd(line);
    }

    private void Write(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var file = new StreamWriter(path) { AutoFlush = true };
        foreach (var line in _lines.GetConsumingEnumerable()) file.WriteLine(line);
    }

    public void Dispose()
    {
        _lines.CompleteAdding();
        if (_writer.IsValueCreated) _writer.Value.Wait(TimeSpan.FromSeconds(5));
    }

    private sealed class Logger(ServiceLogFile file, string resource) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            file.Add($"{resource}: {formatter(state, exception)}");
    }
}
