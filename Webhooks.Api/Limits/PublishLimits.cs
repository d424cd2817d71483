using FluentValidation.Results;
using Microsoft.Extensions.Options;

namespace Webhooks.Api.Limits;

/// <summary>The publish routes' limits, checked before anything is written: the fan-out of the request first (so a
/// refused request takes no rate tokens), then the tenant's rate.</summary>
internal sealed class PublishLimits(FanOutLimit fanOut, PublishRateLimit rate, IOptions<LimitsOptions> limits)
{
    /// <summary>The answer refusing the request, or null when it may go ahead.</summary>
    public async Task<IResult?> RefuseAsync(Guid tenantId, IReadOnlyList<string> types, HttpContext context, CancellationToken ct)
    {
        using var activity = ApiTelemetry.ActivitySource.StartActivity("check publish limits");
        if (await fanOut.ExcessAsync(tenantId, types, ct) is { } deliveries)
        {
            // The same problem shape as every validation error, naming the field.
            var message = $"This request would create {deliveries} deliveries; one request may create at most {fanOut.Limit} " +
                          $"({LimitsOptions.Section}:DeliveriesPerRequest = {fanOut.Limit}). Send its events in smaller batches.";
            return Results.Json(new FastEndpoints.ProblemDetails([new ValidationFailure("events", message)], context.Request.Path,
                context.TraceIdentifier, StatusCodes.Status400BadRequest), contentType: "application/problem+json",
                statusCode: StatusCodes.Status400BadRequest);
        }
        if (await rate.TryAcquireAsync(tenantId, types.Count, ct) is { } wait)
        {
            context.Response.Headers.RetryAfter = ((int)wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return LimitProblems.PublishRate(limits.Value.PublishPerSecondPerTenant, wait);
        }
        return null;
    }
}
