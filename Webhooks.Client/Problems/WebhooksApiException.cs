using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Webhooks.Client;

/// <summary>
/// The API refused a request: its problem details (RFC 9457) as an exception. <see cref="Errors"/> names each field
/// that was wrong (<c>url</c>, <c>events[1]</c>, <c>data.lines[0].quantity</c>, …). Subclasses single out the
/// answers a caller usually handles: <see cref="WebhooksValidationException"/> (400, 413, 422),
/// <see cref="WebhooksUnauthorizedException"/> (401), <see cref="WebhooksForbiddenException"/> (403),
/// <see cref="WebhooksNotFoundException"/> (404), <see cref="WebhooksConflictException"/> (409) and
/// <see cref="WebhooksRateLimitedException"/> (429).
/// </summary>
public class WebhooksApiException : Exception
{
    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    public WebhooksApiException(int status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null,
        string? type = null, string? traceId = null)
        : base(Describe(status, title, detail, errors))
    {
        Status = status;
        Title = title;
        Detail = detail;
        Errors = errors ?? NoErrors;
        Type = type;
        TraceId = traceId;
    }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    public HttpStatusCode StatusCode => (HttpStatusCode)Status;

    public string? Title { get; }

    public string? Detail { get; }

    /// <summary>Field → messages; empty when the problem names no field.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The problem type URI.</summary>
    public string? Type { get; }

    /// <summary>The Api's trace id for this request, to find it in the dashboard's traces and logs.</summary>
    public string? TraceId { get; }

    internal static async Task<WebhooksApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        ProblemBody? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(ProblemJson.Default.ProblemBody, ct).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Not a problem document after all (a proxy's error page, say): the status still says what happened.
            }
        }
        var title = problem?.Title ?? response.ReasonPhrase;
        var errors = problem?.FieldErrors();
        var (type, detail, traceId) = (problem?.Type, problem?.Detail, problem?.TraceId);
        return status switch
        {
            400 or 413 or 422 => new WebhooksValidationException(status, title, detail, errors, type, traceId),
            401 => new WebhooksUnauthorizedException(status, title, detail, errors, type, traceId),
            403 => new WebhooksForbiddenException(status, title, detail, errors, type, traceId),
            404 => new WebhooksNotFoundException(status, title, detail, errors, type, traceId),
            409 => new WebhooksConflictException(status, title, detail, errors, type, traceId),
            429 => new WebhooksRateLimitedException(status, title, detail, errors, type, traceId, RetryAfter(response)),
            _ => new WebhooksApiException(status, title, detail, errors, type, traceId),
        };
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        // Against the response's own Date, so a skew between our clock and the server's does not change the wait.
        { Date: { } date } => date - (response.Headers.Date ?? TimeProvider.System.GetUtcNow()),
        _ => null,
    };

    private static string Describe(int status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors)
    {
        var text = $"{status} {title}".TrimEnd();
        if (!string.IsNullOrEmpty(detail)) text += $": {detail}";
        if (errors is { Count: > 0 })
            text += " " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
        return text;
    }
}

/// <summary>400, 413 or 422: a field is invalid, missing or too large; <see cref="WebhooksApiException.Errors"/> names it.</summary>
public sealed class WebhooksValidationException(int status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors,
    string? type, string? traceId) : WebhooksApiException(status, title, detail, errors, type, traceId);

/// <summary>401: no API key, or one the API does not know (revoked, mistyped).</summary>
public sealed class WebhooksUnauthorizedException(int status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors,
    string? type, string? traceId) : WebhooksApiException(status, title, detail, errors, type, traceId);

/// <summary>403: the key is known but may not do this (a member creating users, the admin key on tenant routes).</summary>
public sealed class WebhooksForbiddenException(int status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors,
    string? type, string? traceId) : WebhooksApiException(status, title, detail, errors, type, traceId);

/// <summary>404: no such resource in the caller's tenant (another tenant's ids look the same as missing ones).</summary>
public sealed class WebhooksNotFoundException(int status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors,
    string? type, string? traceId) : WebhooksApiException(status, title, detail, errors, type, traceId);

/// <summary>409: the request contradicts the resource's state (an idempotency key reused with other data, a disabled
/// webhook, a taken email).</summary>
public sealed class WebhooksConflictException(int status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors,
    string? type, string? traceId) : WebhooksApiException(status, title, detail, errors, type, traceId);

/// <summary>429 after the client's own retries ran out; <see cref="RetryAfter"/> says when the API will take more.</summary>
public sealed class WebhooksRateLimitedException(int status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors,
    string? type, string? traceId, TimeSpan? retryAfter) : WebhooksApiException(status, title, detail, errors, type, traceId)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
