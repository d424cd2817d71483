using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;
using Webhooks.Core.Signing;

namespace Webhooks.Dispatcher.Sending;

/// <summary>
/// Makes one HTTP POST of a delivery and reports what happened; never throws for anything the endpoint does.
/// The client is built here by hand rather than by IHttpClientFactory, so the service defaults' resilience handler
/// (which retries) never touches a webhook POST: the retry schedule is the product's, and it is stored per attempt.
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    private const string Redacted = "[redacted]";
    private readonly HttpClient _client;
    private readonly DeliveryOptions _options;
    private readonly TimeProvider _time;

    public WebhookSender(IOptions<DeliveryOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _client = new HttpClient(CreateHandler(_options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    internal static SocketsHttpHandler CreateHandler(DeliveryOptions options) => new()
    {
        AllowAutoRedirect = false, // a 3xx is a failure: following it could lead the POST anywhere, past the SSRF check
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        // Recycled so DNS changes of an endpoint are picked up (and re-checked by the guard) within minutes.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        // No MaxConnectionsPerServer (it was 64): a request over it waited in the handler for a pooled connection while
        // its timeout ran, and was recorded as a timeout that was never sent. The in-flight caps bound the connections
        // to one receiver instead, before a request exists: at most MaxInFlightPerWebhook to a webhook and
        // MaxInFlightPerTenant to a tenant's webhooks, across all Dispatchers. So every request gets a connection at
        // once (an idle one, or a new one whose connect counts towards the attempt), and its timeout runs from then.
        // A body left unread past the kept limit is never drained: the connection is closed instead.
        MaxResponseDrainSize = 0,
        ConnectCallback = new SsrfGuard(options.AllowPrivateNetworks).ConnectAsync,
    };

    /// <param name="stopping">Cancelled at shutdown; then this throws instead of reporting a result, because the
    /// attempt was abandoned by us rather than failed by the endpoint.</param>
    public async Task<SendResult> SendAsync(string url, byte[] body, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken stopping)
    {
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        var recorded = RecordedHeaders(headers);
        int Elapsed() => (int)_time.GetElapsedTime(started).TotalMilliseconds;

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return new SendResult(SendOutcome.Blocked, startedAt, 0, recorded, Error: "blocked: the URL is not an absolute http(s) URL");

        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("User-Agent", WebhookHeaders.UserAgent);
        request.Headers.ExpectContinue = false;
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);

        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return new SendResult(SendOutcome.Timeout, startedAt, Elapsed(), recorded, Error: SendErrors.TimedOut(_options.RequestTimeout));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else the handler throws is still this attempt's failure: recorded and retried, never a crash loop.
            var (outcome, error) = SendErrors.Describe(e);
            return new SendResult(outcome, startedAt, Elapsed(), recorded, Error: error);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var success = status is >= 200 and < 300;
            string? error = status is >= 300 and < 400 ? $"redirect not followed (Location: {response.Headers.Location})" : null;
            string? responseBody = null;
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
                responseBody = await ResponseBody.ReadAsync(stream, _options.MaxResponseBodyBytes, linked.Token);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                // The status line already says what the endpoint decided; a stalled body does not change it.
                error = $"reading the response body {SendErrors.TimedOut(_options.RequestTimeout)}";
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                error = $"reading the response body failed: {SendErrors.Describe(e).Error}";
            }
            return new SendResult(success ? SendOutcome.Success : SendOutcome.HttpError, startedAt, Elapsed(), recorded,
                status, Sending.ResponseHeaders.From(response), responseBody, error, RetryAfter(response));
        }
    }

    private Dictionary<string, string> RecordedHeaders(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var recorded = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = "application/json",
            ["User-Agent"] = WebhookHeaders.UserAgent,
        };
        foreach (var (name, value) in headers) recorded[name] = WebhookHeaders.IsSignature(name) ? Redacted : value;
        return recorded;
    }

    /// <summary>Retry-After as a delay from now (it came as seconds or an HTTP date); null when absent.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    public void Dispose() => _client.Dispose();
}
