using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

namespace Webhooks.Api.Features.Events;

/// <summary>The <c>Webhooks:Events:MaxPayloadBytes</c> limit on an event's <c>data</c>: over it is 413, naming the field.</summary>
internal static class PayloadSize
{
    /// <summary>Measured on the raw UTF-8 as received, which is what a UTF-8 encoding of the text would give, without
    /// copying the payload.</summary>
    public static bool Exceeds(JsonElement data, int maxBytes) => JsonMarshal.GetRawUtf8Value(data).Length > maxBytes;

    public static Task RejectAsync(HttpContext context, string field, int maxBytes, CancellationToken ct)
    {
        var problem = new ValidationProblemDetails(new Dictionary<string, string[]>
        {
            [field] = [$"{field} is larger than the {maxBytes}-byte limit (Webhooks:Events:MaxPayloadBytes)."],
        })
        {
            Status = StatusCodes.Status413PayloadTooLarge,
            Title = "Payload too large",
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        };
        context.Response.StatusCode = problem.Status.Value;
        return context.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", ct);
    }
}
