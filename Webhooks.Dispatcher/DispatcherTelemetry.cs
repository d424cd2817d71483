using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Webhooks.Dispatcher;

/// <summary>The Dispatcher's one Meter and ActivitySource, both named <see cref="Name"/>.</summary>
public sealed class DispatcherTelemetry : IDisposable
{
    public const string Name = "Webhooks.Dispatcher";
    public static readonly ActivitySource ActivitySource = new(Name);

    public DispatcherTelemetry(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(Name);
    }

    public Meter Meter { get; }

    public void Dispose() => Meter.Dispose();
}
