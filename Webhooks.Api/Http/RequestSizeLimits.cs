using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;

namespace Webhooks.Api.Http;

/// <summary>
/// Caps request bodies before anything reads them: a declared Content-Length over the route's cap is refused at once
/// with 413, and a chunked body is cut off at the cap (Kestrel then throws, and <see cref="ProblemExceptionHandler"/>
/// answers 413).
/// </summary>
internal sealed class RequestSizeLimits(RequestDelegate next, IOptions<EventsOptions> events)
{
    /// <summary>Room for the envelope around <c>data</c> (type, JSON whitespace, escaping).</summary>
    private const long EnvelopeBytes = 64 * 1024;
    /// <summary>A batch carries up to 1000 events; 32 MiB keeps one request's memory bounded.</summary>
    public const long BatchBytes = 32L * 1024 * 1024;
    private const long OtherBytes = 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var limit = path.Equals("/v1/events/batch", StringComparison.OrdinalIgnoreCase) ? BatchBytes
            : path.Equals("/v1/events", StringComparison.OrdinalIgnoreCase) ? events.Value.MaxPayloadBytes + EnvelopeBytes
            : OtherBytes;

        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.Response.WriteAsJsonAsync(new ProblemDetails
            {
                Status = StatusCodes.Status413PayloadTooLarge,
                Title = "Payload too large",
                Detail = $"The request body may be at most {limit} bytes.",
            }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        await next(context);
    }
}
