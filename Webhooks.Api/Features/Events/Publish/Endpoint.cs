using System.Diagnostics;
using FastEndpoints;
using Microsoft.Extensions.Options;
using Webhooks.Api.Auth;
using Webhooks.Core.Options;

namespace Webhooks.Api.Features.Events.Publish;

internal sealed class Endpoint(EventPublisher publisher, IOptions<EventsOptions> options, ApiMetrics metrics) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/events");
        Policies(Auth.Policies.TenantUser);
        Description(b => b.Produces<Response>(202).ProducesProblemDetails(400).ProducesProblemDetails(413));
        Summary(s =>
        {
            s.Summary = "Publish an event to every webhook subscribed to its type.";
            s.Description = "Accepted events are never lost. An Idempotency-Key header makes a repeat return the same event and create no new deliveries.";
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        if (PayloadSize.Exceeds(req.Data, options.Value.MaxPayloadBytes))
        {
            await PayloadSize.RejectAsync(HttpContext, "data", options.Value.MaxPayloadBytes, ct);
            return;
        }

        var published = await publisher.PublishAsync(User.TenantId(), [new EventToPublish(req.Type!, req.Data, req.IdempotencyKey)], ct);
        await Send.ResponseAsync(Response.From(published[0]), 202, ct);
        metrics.PublishDuration(Stopwatch.GetElapsedTime(started).TotalMilliseconds, batch: false);
    }
}
