namespace Webhooks.Api.Features.Shared;

internal static class Problems
{
    /// <summary>A 404 problem+json. FastEndpoints' <c>Send.NotFoundAsync()</c> starts an empty response, which the
    /// status-code-pages middleware can then no longer fill with a problem body.</summary>
    public static IResult NotFound(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound);
}
