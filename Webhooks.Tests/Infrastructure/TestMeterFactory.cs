using System.Diagnostics.Metrics;

namespace Webhooks.Tests.Infrastructure;

/// <summary>A meter factory for constructing telemetry classes by hand in unit tests.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, this);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose() => _meters.ForEach(m => m.Dispose());
}
