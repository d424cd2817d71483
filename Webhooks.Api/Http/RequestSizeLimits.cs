using Microsoft.AspNetCore.Http.Features;

namespace Webhooks.Api.Http;

/// <summary>
/// Caps request bodies before anything reads them, at the limit the endpoint declares (<see cref="BodySizeLimit"/>):
/// a declared Content-Length over it is refused at once, and a chunked body is cut off at it (Kestrel then throws).
/// Either way <see cref="ProblemExceptionHandler"/> answers 413 (<see cref="PayloadTooLargeException"/>).
/// </summary>
internal sealed class RequestSizeLimits(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodySizeLimit>()?.For(context) ?? BodySizeLimit.DefaultBytes;
        if (context.Request.ContentLength > limit) throw new PayloadTooLargeException(limit);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        return next(context);
    }
}
