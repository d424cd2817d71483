using Microsoft.Extensions.Options;

namespace Webhooks.Api;

/// <summary><c>Webhooks:Portal</c>: sign-in to the tenant portal (one-time links and the sessions they open).</summary>
public sealed class PortalOptions
{
    public const string Section = "Webhooks:Portal";

    /// <summary>Where portal links point, e.g. <c>https://portal.example.com</c>. Optional; without it
    /// <c>POST /v1/portal-links</c> answers 409. The AppHost sets it from the portal's endpoint.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>How long a one-time link stays valid: 00:00:10 – 01:00:00, default 10 minutes.</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a portal session lasts before its user signs in again: 00:01:00 – 7.00:00:00, default 8 hours.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>The absolute base URL, once validated.</summary>
    public Uri? BaseUri => Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) ? uri : null;

    internal sealed class Validator : IValidateOptions<PortalOptions>
    {
        public ValidateOptionsResult Validate(string? name, PortalOptions o)
        {
            var errors = new List<string>();
            if (!string.IsNullOrEmpty(o.BaseUrl) && o.BaseUri is not { Scheme: "http" or "https" })
                errors.Add($"{Section}:BaseUrl must be an absolute http or https URL (was '{o.BaseUrl}').");
            if (o.LinkLifetime < TimeSpan.FromSeconds(10) || o.LinkLifetime > TimeSpan.FromHours(1))
                errors.Add($"{Section}:LinkLifetime must be between 00:00:10 and 01:00:00 (was {o.LinkLifetime}).");
            if (o.SessionLifetime < TimeSpan.FromMinutes(1) || o.SessionLifetime > TimeSpan.FromDays(7))
                errors.Add($"{Section}:SessionLifetime must be between 00:01:00 and 7.00:00:00 (was {o.SessionLifetime}).");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
