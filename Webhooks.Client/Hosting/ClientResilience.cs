using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Timeout;

namespace Webhooks.Client;

/// <summary>
/// The client's retry pipeline: a total timeout, retries, and a timeout per attempt. It retries what the API asks to be
/// retried (429 and 503, after <c>Retry-After</c> when given) and network failures — but a network failure after the
/// request went out is retried only when repeating it is harmless: a GET, PUT or DELETE, or a publish, whose events
/// all carry idempotency keys. A retry resends the same request, keys included, so the API answers a repeated publish
/// with the events it already stored.
/// </summary>
internal static class ClientResilience
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, WebhooksClientOptions options)
    {
        pipeline.AddTimeout(options.TotalTimeout);
        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(options.MaxRetryAttempts, 1),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = options.MaxRetryDelay,
            ShouldRetryAfterHeader = true,
            ShouldHandle = args => ValueTask.FromResult(options.MaxRetryAttempts > 0 && ShouldRetry(args.Outcome, args.Context.GetRequestMessage())),
        });
        pipeline.AddTimeout(options.AttemptTimeout);
    }

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, HttpRequestMessage? request) => outcome switch
    {
        { Result.StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } => true,
        // The connection was never made: the API saw nothing, so any request may go again.
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } } => true,
        { Exception: HttpRequestException or TimeoutRejectedException } => IsSafeToRepeat(request),
        _ => false,
    };

    private static bool IsSafeToRepeat(HttpRequestMessage? request) =>
        request is not null
        && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Put
            || request.Method == HttpMethod.Delete || (request.Options.TryGetValue(WebhooksClient.Repeatable, out var repeatable) && repeatable));
}
