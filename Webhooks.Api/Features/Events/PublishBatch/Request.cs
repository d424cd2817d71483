using System.Text.Json;
using FastEndpoints;
using FluentValidation;
using Webhooks.Api.Http;

namespace Webhooks.Api.Features.Events.PublishBatch;

internal sealed class Request
{
    public const int MaxEvents = 1000;

    public List<Item>? Events { get; init; }

    internal sealed class Item
    {
        public string? Type { get; init; }
        public JsonElement Data { get; init; }
        /// <summary>Like the Idempotency-Key header of a single publish, per event.</summary>
        public string? IdempotencyKey { get; init; }
    }

    internal sealed class Validator : TracedValidator<Request>
    {
        public Validator()
        {
            var schemas = () => Resolve<EventDataSchemas>();
            RuleFor(r => r.Events).NotEmpty().WithMessage("events must hold 1 to 1000 events.")
                .Must(e => e is null || e.Count <= MaxEvents).WithMessage($"events must hold at most {MaxEvents} events.");
            RuleForEach(r => r.Events).NotNull().WithMessage("an event may not be null.").ChildRules(item =>
            {
                item.RuleFor(i => i.Type).MustBePublishableType();
                item.RuleFor(i => i.Data).MustBeJsonObject();
                item.RuleFor(i => i.Data).MustBeStorable();
                item.RuleFor(i => i.Data).MustMatchItsSchema(i => i.Type, schemas);
                item.RuleFor(i => i.IdempotencyKey).MustBeIdempotencyKey();
            });
        }
    }
}
