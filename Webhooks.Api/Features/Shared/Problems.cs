namespace Webhooks.Api.Features.Shared;

/// <summary>
/// Problem results for handlers. FastEndpoints' <c>Send.NotFoundAsync()</c> starts an empty response, which the
/// status-code-pages middleware can no longer fill, so handlers send these instead.
/// </summary>
internal static class Problems
{
    /// <summary>404 for a missing id — and for another tenant's id, so existence is never revealed.</summary>
    public static IResult NotFound(string what) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No such {what}.");
}
