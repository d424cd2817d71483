using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Webhooks.Tests.Delivery;

/// <summary>Sends the Dispatcher's warnings and errors to the test's output, so a failing test shows why.</summary>
internal sealed class TestOutputLogger(ITestOutputHelper output, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished; its output is closed.
        }
    }

    public static Action<IServiceCollection> Services()
    {
        var output = TestContext.Current.TestOutputHelper;
        return services =>
        {
            if (output is not null) services.AddSingleton<ILoggerProvider>(new Provider(output));
        };
    }

    private sealed class Provider(ITestOutputHelper output) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new TestOutputLogger(output, categoryName);

        public void Dispose() { }
    }
}
