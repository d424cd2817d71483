using System.Net;
using FluentValidation;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Security;

namespace Webhooks.Api.Features.Webhooks;

/// <summary>Field rules shared by creating and updating a webhook.</summary>
internal static class WebhookRules
{
    public const int MaxUrlLength = 2048;
    public const int MaxDescriptionLength = 500;

    /// <param name="allowPrivateNetworks">Webhooks:Delivery:AllowPrivateNetworks, read when a request is validated.</param>
    public static IRuleBuilderOptions<T, string?> WebhookUrl<T>(this IRuleBuilderInitial<T, string?> rule, Func<bool> allowPrivateNetworks) =>
        rule.Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("url is required.")
            .MaximumLength(MaxUrlLength).WithMessage($"url must be at most {MaxUrlLength} characters.")
            .Must(url => UrlProblem(url!, allowPrivateNetworks()) is null)
            .WithMessage((_, url) => UrlProblem(url!, allowPrivateNetworks()));

    /// <summary>At least one type, no repeats, each from the catalog; a bad entry is named by its index (<c>events[1]</c>).</summary>
    public static IRuleBuilderOptionsConditions<T, string[]?> WebhookEvents<T>(this IRuleBuilderInitial<T, string[]?> rule) =>
        rule.Custom((events, context) =>
        {
            if (events is null || events.Length == 0)
            {
                context.AddFailure("events", "events must list at least one event type from GET /v1/event-types.");
                return;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < events.Length; i++)
            {
                if (!IsSubscribable(events[i]))
                    context.AddFailure($"events[{i}]", $"'{events[i]}' is not an event type a webhook can subscribe to; see GET /v1/event-types.");
                else if (!seen.Add(events[i]))
                    context.AddFailure($"events[{i}]", $"'{events[i]}' is listed twice.");
            }
        });

    public static IRuleBuilderOptions<T, string?> WebhookDescription<T>(this IRuleBuilder<T, string?> rule) =>
        rule.MaximumLength(MaxDescriptionLength).WithMessage($"description must be at most {MaxDescriptionLength} characters.")
            .StorableText();

    // webhook.ping goes to every webhook on request (POST /v1/webhooks/{id}/ping), so nobody subscribes to it.
    private static bool IsSubscribable(string? type) => type is not null && type != EventCatalog.Ping && EventCatalog.Contains(type);

    /// <summary>Why the url cannot be a webhook's, or null. Literal addresses are judged here, at registration; host
    /// names are judged by the Dispatcher on the address they resolve to when it connects (DNS can change).</summary>
    private static string? UrlProblem(string url, bool allowPrivateNetworks)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return "url must be an absolute http or https URL.";
        if (uri.UserInfo.Length > 0) return "url must not contain a user name or password; put credentials elsewhere.";
        if (uri.Host.Length == 0) return "url must have a host.";
        if (allowPrivateNetworks) return null;

        var host = uri.IdnHost.TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return "url must not point at localhost.";
        // Uri canonicalizes IPv4 in any spelling (decimal, hex, octal) to dotted form, so "http://2130706433" is caught too.
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            && IPAddress.TryParse(host.Trim('[', ']'), out var address)
            && AddressPolicy.WhyBlocked(address) is { } why)
            return $"url must not point at a {why} address.";
        return null;
    }
}
