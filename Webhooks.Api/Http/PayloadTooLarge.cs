using Microsoft.AspNetCore.Http.Features;

namespace Webhooks.Api.Http;

/// <summary>
/// The one 413 of the Api: a body over its endpoint's limit (<see cref="BodySizeLimit"/>), refused before it is read
/// or cut off by Kestrel while it is read, and an event's <c>data</c> over <c>Webhooks:Events:MaxPayloadBytes</c>. Each
/// throws this (or Kestrel its <see cref="BadHttpRequestException"/>), and <see cref="ProblemExceptionHandler"/> alone
/// writes the problem.
/// </summary>
/// <param name="field">The request field that is too large, named in the problem's errors; null for the whole body.</param>
/// <param name="setting">The configuration key that sets the limit, when one does.</param>
internal sealed class PayloadTooLargeException(long? limitBytes, string? field = null, string? setting = null)
    : Exception(Describe(limitBytes, field, setting))
{
    public string? Field { get; } = field;

    /// <summary>Kestrel refused the body while it was read: the limit is the one the request carried.</summary>
    public static PayloadTooLargeException From(HttpContext context) =>
        new(context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize);

    private static string Describe(long? limit, string? field, string? setting) =>
        (field ?? "The request body", limit) switch
        {
            (var what, { } bytes) => $"{what} is larger than the {bytes}-byte limit{(setting is null ? "" : $" ({setting})")}.",
            (var what, null) => $"{what} is too large.",
        };
}
