using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Webhooks.Api.Http;

/// <summary>
/// Maps exceptions to problem+json: a body or field too large is 413 (<see cref="PayloadTooLargeException"/>, the
/// only place that answers it), naming the field when one is to blame; a client's broken request (aborted, unreadable)
/// keeps its 4xx;
/// an unreachable database or Redis is 503 with Retry-After, so clients retry instead of treating it as a bug.
/// Anything else falls through to the default 500.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }) exception = PayloadTooLargeException.From(context);
        if (exception is PayloadTooLargeException tooLarge) return await WriteAsync(context, tooLarge, TooLarge(tooLarge));
        var (status, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request"),
            // A value validation let through that Postgres cannot store (NUL, bad encoding): the client's input, not our bug.
            Microsoft.EntityFrameworkCore.DbUpdateException { InnerException: PostgresException { SqlState: "22021" or "22P05" } }
                or PostgresException { SqlState: "22021" or "22P05" } => (StatusCodes.Status400BadRequest, "Bad request"),
            _ when IsUnavailable(exception) => (StatusCodes.Status503ServiceUnavailable, "Service unavailable"),
            _ => (0, ""),
        };
        if (status == 0) return false;
        if (status == 503)
        {
            logger.LogWarning(exception, "A dependency is unavailable; answering 503");
            context.Response.Headers.RetryAfter = "5";
        }
        return await WriteAsync(context, exception, new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = status switch
            {
                503 => "The database or queue is unreachable; try again shortly.",
                400 when exception is not BadHttpRequestException => "A value in the request cannot be stored (for example a NUL character).",
                _ => exception.Message,
            },
        });
    }

    private static ProblemDetails TooLarge(PayloadTooLargeException tooLarge)
    {
        var problem = tooLarge.Field is { } field
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [tooLarge.Message] })
            : new ProblemDetails { Detail = tooLarge.Message };
        problem.Status = StatusCodes.Status413PayloadTooLarge;
        problem.Title = "Payload too large";
        problem.Type = "https://tools.ietf.org/html/rfc9110#section-15.5.14";
        return problem;
    }

    private ValueTask<bool> WriteAsync(HttpContext context, Exception exception, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status!.Value;
        return problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, Exception = exception, ProblemDetails = problem });
    }

    private static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { IsTransient: true } or StackExchange.Redis.RedisConnectionException or System.Net.Sockets.SocketException)
                return true;
            if (e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" }) return true; // shutdown, too many connections
        }
        return false;
    }
}
