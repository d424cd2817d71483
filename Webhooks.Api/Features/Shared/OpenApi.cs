using FastEndpoints;

namespace Webhooks.Api.Features.Shared;

/// <summary>The error responses every route documents the same way: all are <c>application/problem+json</c>.</summary>
internal static class OpenApi
{
    private const string ProblemJson = "application/problem+json";

    public static EndpointSummary BadRequest(this EndpointSummary s, string description = "The request is malformed or a field is invalid; `errors` names each field.") =>
        s.Problem(400, description);

    public static EndpointSummary Unauthorized(this EndpointSummary s) =>
        s.Problem(401, "No API key, or one that is not known.");

    public static EndpointSummary Forbidden(this EndpointSummary s, string description) =>
        s.Problem(403, description);

    public static EndpointSummary NotFound(this EndpointSummary s, string description = "No such webhook in the caller's tenant.") =>
        s.Problem(404, description);

    public static EndpointSummary Conflict(this EndpointSummary s, string description) =>
        s.Problem(409, description);

    public static EndpointSummary PayloadTooLarge(this EndpointSummary s) =>
        s.Problem(413, "The body or an event's data is over its size limit (Webhooks:Events:MaxPayloadBytes).");

    public static EndpointSummary TooManyRequests(this EndpointSummary s, string description) =>
        s.Problem(429, description);

    private static EndpointSummary Problem(this EndpointSummary s, int status, string description)
    {
        s.Response<ProblemDetails>(status, description, ProblemJson);
        return s;
    }
}
