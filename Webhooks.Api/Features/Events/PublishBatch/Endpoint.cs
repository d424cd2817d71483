using System.Diagnostics;
using FastEndpoints;
using FluentValidation.Results;
using Webhooks.Api.Features.Shared;
using Microsoft.Extensions.Options;
using Webhooks.Api.Auth;
using Webhooks.Api.Http;
using Webhooks.Api.Limits;
using Webhooks.Core.Options;

namespace Webhooks.Api.Features.Events.PublishBatch;

internal sealed class Endpoint(EventPublisher publisher, PublishLimits limits, IOptions<EventsOptions> options, ApiMetrics metrics) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/v1/events/batch");
        Policies(Auth.Policies.TenantUser);
        RequestBinder(new TracedRequestBinder<Request>());
        Options(b => b.WithMetadata(new BodySizeLimit(_ => EventValidation.BatchBytes)));
        Summary(s =>
        {
            s.Summary = "Publish up to 1000 events in one request and one transaction.";
            s.Description = "All or nothing: either every event is accepted or none. idempotencyKey works per event like the Idempotency-Key header.";
            s.Response<Response>(202, "One entry per event, in request order.");
            s.BadRequest().Unauthorized().Forbidden("The admin key has no tenant.").PayloadTooLarge()
                .TooManyRequests("The tenant's publish rate limit (Webhooks:Limits:PublishPerSecondPerTenant); see Retry-After.")
                .Conflict("An idempotencyKey was already used with a different type or data (or twice in the batch with different ones); " +
                    "`errors` names `events[i].idempotencyKey`, and no event of the batch is published.");
        });
    }

    public override async Task HandleAsync(Request req, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < req.Events!.Count; i++)
            EventValidation.ThrowIfTooLarge(req.Events[i].Data, options.Value.MaxPayloadBytes, $"events[{i}].data");
        if (await limits.RefuseAsync(User.TenantId(), req.Events.ConvertAll(e => e.Type!), HttpContext, ct) is { } refusal)
        {
            await Send.ResultAsync(refusal);
            return;
        }
        IReadOnlyList<PublishedEvent> published;
        try
        {
            published = await publisher.PublishAsync(User.TenantId(),
                req.Events.Select(e => new EventToPublish(e.Type!, e.Data, e.IdempotencyKey)).ToList(), ct);
        }
        catch (IdempotencyKeyReusedException reused)
        {
            ThrowError(new ValidationFailure($"events[{reused.Index}].idempotencyKey", reused.Message), StatusCodes.Status409Conflict);
            throw;
        }
        using (ApiTelemetry.ActivitySource.StartActivity("send response"))
            await Send.ResponseAsync(new Response(published.Select(Publish.Response.From).ToList()), 202, ct);
        metrics.PublishDuration(Stopwatch.GetElapsedTime(started).TotalMilliseconds, batch: true);
    }
}
