using FastEndpoints;
using FluentValidation;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Deliveries.List;

internal sealed class Request : PageRequest
{
    [QueryParam] public Guid? WebhookId { get; init; }
    [QueryParam] public Guid? EventId { get; init; }
    /// <summary>pending, retrying, success or failed.</summary>
    [QueryParam] public string? Status { get; init; }
    /// <summary>Only deliveries created at or after this time (ISO-8601).</summary>
    [QueryParam] public DateTimeOffset? Since { get; init; }
    /// <summary>Only deliveries created before this time (ISO-8601).</summary>
    [QueryParam] public DateTimeOffset? Until { get; init; }
    /// <summary>Only deliveries of events of this type, e.g. <c>sale.created</c>.</summary>
    [QueryParam] public string? EventType { get; init; }

    public DeliveryStatus? ParsedStatus => Status is null ? null : Enum.Parse<DeliveryStatus>(Status, ignoreCase: true);

    internal sealed class Validator : PageRequestValidator<Request>
    {
        public Validator()
        {
            RuleFor(r => r.Status)
                .Must(s => s is null || (Enum.TryParse<DeliveryStatus>(s, ignoreCase: true, out _) && !int.TryParse(s, out _)))
                .WithMessage("status must be one of pending, retrying, success, failed.");
            RuleFor(r => r.EventType).MaximumLength(100).WithMessage("eventType must be at most 100 characters.");
            RuleFor(r => r.Until).GreaterThan(r => r.Since).When(r => r.Since is not null && r.Until is not null)
                .WithMessage("until must be later than since.");
        }
    }
}
