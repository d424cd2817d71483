using System.Text.Json.Serialization;
using FastEndpoints;
using FluentValidation;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;

namespace Webhooks.Api.Features.Webhooks.Update;

/// <summary>A partial update: a field left out stays as it is. The setters record which fields the body carried,
/// because JSON null ("clear the description") and an absent field ("leave it") deserialize to the same value.</summary>
internal sealed class Request
{
    private readonly string? _url;
    private readonly string[]? _events;
    private readonly string? _description;
    private readonly bool? _active;

    public Guid Id { get; init; }

    /// <summary>Same rules as on creation.</summary>
    public string? Url { get => _url; init { _url = value; HasUrl = true; } }

    /// <summary>Replaces the whole list; same rules as on creation.</summary>
    public string[]? Events { get => _events; init { _events = value; HasEvents = true; } }

    /// <summary>At most 500 characters; null clears it.</summary>
    public string? Description { get => _description; init { _description = value; HasDescription = true; } }

    /// <summary>true re-enables a webhook (also one the service disabled) and resets its failure count; false
    /// deactivates it.</summary>
    public bool? Active { get => _active; init { _active = value; HasActive = true; } }

    [JsonIgnore] public bool HasUrl { get; private set; }
    [JsonIgnore] public bool HasEvents { get; private set; }
    [JsonIgnore] public bool HasDescription { get; private set; }
    [JsonIgnore] public bool HasActive { get; private set; }
}

internal sealed class Validator : Validator<Request>
{
    public Validator()
    {
        // Resolved per request, not injected: FastEndpoints keeps one validator per process, shared by every host in
        // it (several test hosts with different settings, say), while Resolve reads the current request's services.
        var allowPrivateNetworks = () => Resolve<IOptions<DeliveryOptions>>().Value.AllowPrivateNetworks;
        RuleFor(r => r.Url).WebhookUrl(allowPrivateNetworks).When(r => r.HasUrl);
        RuleFor(r => r.Events).WebhookEvents().When(r => r.HasEvents);
        RuleFor(r => r.Description).WebhookDescription().When(r => r.HasDescription);
        RuleFor(r => r.Active).NotNull().WithMessage("active must be true or false; leave it out to keep it as it is.")
            .When(r => r.HasActive);
    }
}
