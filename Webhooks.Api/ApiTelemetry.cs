using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Webhooks.Api;

/// <summary>The Api's one Meter and ActivitySource, both named <see cref="Name"/>.</summary>
public sealed class ApiTelemetry : IDisposable
{
    public const string Name = "Webhooks.Api";
    public static readonly ActivitySource ActivitySource = new(Name);

    public ApiTelemetry(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(Name);
    }

    public Meter Meter { get; }

    public void Dispose() => Meter.Dispose();
}
