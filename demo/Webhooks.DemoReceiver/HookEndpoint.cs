using StandardWebhooks.Diagnostics;
using Webhooks.Client.Receiving;

namespace Webhooks.DemoReceiver;

/// <summary><c>POST /hooks/{name}</c>: verify, dedupe, then accept or fail on purpose.</summary>
internal static class HookEndpoint
{
    public static async Task<IResult> HandleAsync(string name, HttpRequest request, DemoSecrets secrets, DeliveryDeduplicator seen,
        FailurePolicy failures, ReceiverStats stats, TimeProvider time, ILogger<DemoSecrets> logger)
    {
        var counters = stats.For(name);
        var body = await new StreamReader(request.Body).ReadToEndAsync(request.HttpContext.RequestAborted);
        if (secrets.For(request.Path) is not { } secret)
        {
            Interlocked.Increment(ref counters.Rejected);
            logger.LogWarning("No demo webhook is registered at {Path}; refusing the delivery", request.Path.Value);
            return Results.NotFound();
        }

        VerifiedDelivery delivery;
        try
        {
            delivery = new WebhookVerifier(secret, time).Verify(body, request.Headers);
        }
        catch (WebhookVerificationException e)
        {
            Interlocked.Increment(ref counters.Rejected);
            logger.LogWarning("Refused a delivery at {Path}: {Reason}", request.Path.Value, e.Message);
            return Results.Unauthorized();
        }

        if (!seen.TryBegin(delivery.WebhookId))
        {
            Interlocked.Increment(ref counters.Duplicates);
            logger.LogInformation("{EventType} delivery {DeliveryId} at {Path} was already handled", delivery.Type, delivery.WebhookId, request.Path.Value);
            return Results.NoContent();
        }
        if (failures.Failure(name) is { } failure)
        {
            seen.Forget(delivery.WebhookId); // its retry is to be handled
            Interlocked.Increment(ref counters.FailedOnPurpose);
            logger.LogInformation("Failing {EventType} delivery {DeliveryId} at {Path} with {Status} on purpose",
                delivery.Type, delivery.WebhookId, request.Path.Value, failure.Status);
            if (failure.RetryAfter is { } retryAfter) request.HttpContext.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString();
            return Results.Problem(statusCode: failure.Status, title: "Failed on purpose by the demo receiver");
        }

        Interlocked.Increment(ref counters.Accepted);
        logger.LogInformation("Accepted {EventType} delivery {DeliveryId} of event {EventId} at {Path}",
            delivery.Type, delivery.WebhookId, delivery.EventId, request.Path.Value);
        return Results.NoContent();
    }
}
