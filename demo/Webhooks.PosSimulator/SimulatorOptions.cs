using Microsoft.Extensions.Options;

namespace Webhooks.PosSimulator;

/// <summary><c>Demo</c>: set by the AppHost's demo (see Webhooks.AppHost/Demo).</summary>
internal sealed class SimulatorOptions
{
    public const string Section = "Demo";

    /// <summary>The admin key, to create the demo tenant.</summary>
    public string AdminApiKey { get; set; } = "";

    /// <summary>The demo receiver's base URL; the webhooks point at paths under it.</summary>
    public string ReceiverUrl { get; set; } = "";

    /// <summary>Where the demo's state (tenant key, webhook secrets) is kept for this AppHost run.</summary>
    public string StateDirectory { get; set; } = "";

    /// <summary>Time between two publishes (default 1.5 s: a gentle, steady trickle).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>How long the always-failing webhook stays disabled before the simulator re-enables it, so its alerts come
    /// round again (default 3 minutes).</summary>
    public TimeSpan ReenableAfter { get; set; } = TimeSpan.FromMinutes(3);

    internal sealed class Validator : IValidateOptions<SimulatorOptions>
    {
        public ValidateOptionsResult Validate(string? name, SimulatorOptions o)
        {
            var errors = new List<string>();
            if (o.AdminApiKey.Length == 0) errors.Add("Demo:AdminApiKey is required.");
            if (!Uri.TryCreate(o.ReceiverUrl, UriKind.Absolute, out _)) errors.Add($"Demo:ReceiverUrl must be an absolute URL (was '{o.ReceiverUrl}').");
            if (o.StateDirectory.Length == 0) errors.Add("Demo:StateDirectory is required.");
            if (o.Interval < TimeSpan.FromMilliseconds(10)) errors.Add($"Demo:Interval must be at least 00:00:00.010 (was {o.Interval}).");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
