using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Webhooks.Api.Extensions;

internal static class ContentTypeProblem
{
    /// <summary>
    /// A route that takes a JSON body, called with no Content-Type at all, gets 415 from FastEndpoints as an empty,
    /// already started response that UseStatusCodePages can no longer fill. This answers first, with problem+json.
    /// (A wrong Content-Type is refused earlier, by routing, with an empty 415 that UseStatusCodePages does fill.)
    /// </summary>
    public static IApplicationBuilder UseContentTypeProblem(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Headers.ContainsKey(HeaderNames.ContentType)
            && context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { } accepts
            && !accepts.ContentTypes.Contains("*/*"))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status415UnsupportedMediaType,
                    Detail = $"Send the body as {string.Join(" or ", accepts.ContentTypes)} with a matching Content-Type header.",
                },
            });
            return;
        }
        await next(context);
    });
}
