using System.Text.Json;
using FastEndpoints;
using FluentValidation;
using Webhooks.Api.Http;

namespace Webhooks.Api.Features.Events.Publish;

internal sealed class Request
{
    /// <summary>An event type from the catalog, e.g. <c>sale.created</c>.</summary>
    public string? Type { get; init; }

    /// <summary>The event's payload: any JSON object, sent to receivers as <c>data</c>.</summary>
    public JsonElement Data { get; init; }

    /// <summary>Repeating a request with the same key returns the same event and creates nothing new.</summary>
    [FromHeader("Idempotency-Key", isRequired: false)]
    public string? IdempotencyKey { get; init; }

    internal sealed class Validator : TracedValidator<Request>
    {
        public Validator()
        {
            RuleFor(r => r.Type).MustBePublishableType();
            RuleFor(r => r.Data).MustBeJsonObject();
            RuleFor(r => r.Data).MustBeStorable();
            RuleFor(r => r.Data).MustMatchItsSchema(r => r.Type, () => Resolve<EventDataSchemas>());
            RuleFor(r => r.IdempotencyKey).MustBeIdempotencyKey().OverridePropertyName("Idempotency-Key");
        }
    }
}
