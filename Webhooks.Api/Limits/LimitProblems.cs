namespace Webhooks.Api.Limits;

/// <summary>The answers when a tenant reaches one of <see cref="LimitsOptions"/>: each names the setting and its value,
/// so a client (or its operator) knows what to change.</summary>
internal static class LimitProblems
{
    public static IResult WebhooksPerTenant(int limit) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict, title: "Webhook limit reached",
        detail: $"A tenant may have at most {limit} webhooks ({LimitsOptions.Section}:WebhooksPerTenant = {limit}). Delete one first.");

    public static IResult PublishRate(int limit, TimeSpan retryAfter) => TypedResults.Problem(
        statusCode: StatusCodes.Status429TooManyRequests, title: "Publish rate limit reached",
        detail: $"A tenant may publish at most {limit} events per second ({LimitsOptions.Section}:PublishPerSecondPerTenant = {limit}). " +
                $"Try again in {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} s.");
}
