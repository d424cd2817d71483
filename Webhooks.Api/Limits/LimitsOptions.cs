using Microsoft.Extensions.Options;

namespace Webhooks.Api.Limits;

/// <summary>
/// <c>Webhooks:Limits</c>: what one tenant may ask of the shared service, so that no tenant can slow down or break
/// another (DESIGN.md "Fair sharing"). Each limit, when hit, is a 4xx problem that names its key and value.
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "Webhooks:Limits";

    /// <summary>Webhooks one tenant may have (deleted ones do not count). Default 100, ten times what an endpoint
    /// per integration needs; between 1 and 100000. Over it, creating one is 409.</summary>
    public int WebhooksPerTenant { get; set; } = 100;

    /// <summary>Deliveries one publish request may create (each event × its active subscribed webhooks). Default 10000:
    /// a full batch of 1000 events to 10 webhooks, a write of a few hundred milliseconds; at least
    /// <see cref="WebhooksPerTenant"/> (so a single event always fits) and at most 1000000. Over it, the request is 400.</summary>
    public int DeliveriesPerRequest { get; set; } = 10_000;

    /// <summary>Events per second one tenant may publish, summed over every Api process (a token bucket in Redis that
    /// holds a second's worth or one full batch of 1000, whichever is more; see <see cref="PublishRateLimit"/> for the
    /// spare tokens a process holds). Default 1000, about half of what one Api on two cores ingests in single publishes;
    /// 0 turns the limit off. Over it, 429 with Retry-After.</summary>
    public int PublishPerSecondPerTenant { get; set; } = 1000;

    internal sealed class Validator : IValidateOptions<LimitsOptions>
    {
        public ValidateOptionsResult Validate(string? name, LimitsOptions o)
        {
            var errors = new List<string>();
            if (o.WebhooksPerTenant is < 1 or > 100_000)
                errors.Add($"{Section}:WebhooksPerTenant must be between 1 and 100000 (was {o.WebhooksPerTenant}).");
            if (o.DeliveriesPerRequest < o.WebhooksPerTenant || o.DeliveriesPerRequest > 1_000_000)
                errors.Add($"{Section}:DeliveriesPerRequest must be between {Section}:WebhooksPerTenant ({o.WebhooksPerTenant}) and 1000000 (was {o.DeliveriesPerRequest}).");
            if (o.PublishPerSecondPerTenant is < 0 or > 1_000_000)
                errors.Add($"{Section}:PublishPerSecondPerTenant must be between 0 (off) and 1000000 (was {o.PublishPerSecondPerTenant}).");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
