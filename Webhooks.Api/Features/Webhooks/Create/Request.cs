using FastEndpoints;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;

namespace Webhooks.Api.Features.Webhooks.Create;

internal sealed class Request
{
    /// <summary>Absolute http(s) URL, at most 2048 characters, without credentials. Loopback, private and other
    /// internal addresses are refused unless Webhooks:Delivery:AllowPrivateNetworks is on.</summary>
    public string? Url { get; init; }

    /// <summary>Event types to deliver, each from GET /v1/event-types, at least one, no repeats.</summary>
    public string[]? Events { get; init; }

    /// <summary>Free text for people, at most 500 characters.</summary>
    public string? Description { get; init; }
}

internal sealed class Validator : Validator<Request>
{
    public Validator()
    {
        // Resolved per request, not injected: FastEndpoints keeps one validator per process, shared by every host in
        // it (several test hosts with different settings, say), while Resolve reads the current request's services.
        var allowPrivateNetworks = () => Resolve<IOptions<DeliveryOptions>>().Value.AllowPrivateNetworks;
        RuleFor(r => r.Url).WebhookUrl(allowPrivateNetworks);
        RuleFor(r => r.Events).WebhookEvents();
        RuleFor(r => r.Description).WebhookDescription();
    }
}
