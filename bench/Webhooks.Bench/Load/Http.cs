using System.Net.Http.Headers;

namespace Webhooks.Bench.Load;

internal static class Http
{
    /// <summary>A plain client with exactly <paramref name="connections"/> keep-alive connections: no resilience
    /// handler, no service discovery, nothing between the bench and the server it measures.</summary>
    public static HttpClient Create(Uri baseAddress, int connections, string? apiKey = null)
    {
        var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            AllowAutoRedirect = false,
            // The bench sets traceparent itself where it wants one (the latency breakdown); the handler adds none.
            ActivityHeadersPropagator = null,
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public static ByteArrayContent Json(byte[] body) =>
        new(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

    /// <summary>The status and the start of the body, for a message about an unexpected answer.</summary>
    public static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        return $"{(int)response.StatusCode} {response.ReasonPhrase}: {(body.Length > 300 ? body[..300] + "…" : body)}";
    }
}
