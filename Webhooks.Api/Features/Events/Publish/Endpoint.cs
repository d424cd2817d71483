using System.Diagnostics;
using FastEndpoints;
using FluentValidation.Results;
using Webhooks.Api.Features.Shared;
using Microsoft.Extensions.Options;
using Webhooks.Api.Auth;
using Webhooks.Api.Http;
using Webhooks.Api.Limits;
using Webhooks.Core.Options;

namespace Webhooks.Api.Features.Events.Publish;

internal sealed class Endpoint(EventPublisher publisher, PublishLimits limits, IOptions<EventsOptions> options, ApiMetrics metrics) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/events");
        Policies(Auth.Policies.TenantUser);
        RequestBinder(new TracedRequestBinder<Request>());
        Options(b => b.WithMetadata(EventValidation.SingleEventBody));
        Summary(s =>
        {
            s.Summary = "Publish an event to every webhook subscribed to its type.";
            s.Description = "Accepted events are never lost. An Idempotency-Key header makes a repeat (same type and data) return the same event and create no new deliveries; the same key with another type or data is a 409.";
            s.Response<Response>(202, "The event and one pending delivery per active subscribed webhook.");
            s.BadRequest().Unauthorized().Forbidden("The admin key has no tenant.").PayloadTooLarge()
                .TooManyRequests("The tenant's publish rate limit (Webhooks:Limits:PublishPerSecondPerTenant); see Retry-After.")
                .Conflict("The Idempotency-Key was already used with a different type or data; `errors` names `Idempotency-Key`.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        EventValidation.ThrowIfTooLarge(req.Data, options.Value.MaxPayloadBytes, "data");

        if (await limits.RefuseAsync(User.TenantId(), [req.Type!], HttpContext, ct) is { } refusal)
        {
            await Send.ResultAsync(refusal);
            return;
        }

        IReadOnlyList<PublishedEvent> published;
        try
        {
            published = await publisher.PublishAsync(User.TenantId(), [new EventToPublish(req.Type!, req.Data, req.IdempotencyKey)], ct);
        }
        catch (IdempotencyKeyReusedException reused)
        {
            ThrowError(new ValidationFailure("Idempotency-Key", reused.Message), StatusCodes.Status409Conflict);
            throw;
        }
        using (ApiTelemetry.ActivitySource.StartActivity("send response"))
            await Send.ResponseAsync(Response.From(published[0]), 202, ct);
        metrics.PublishDuration(Stopwatch.GetElapsedTime(started).TotalMilliseconds, batch: false);
    }
}
