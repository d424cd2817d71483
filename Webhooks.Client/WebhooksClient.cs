using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;

namespace Webhooks.Client;

/// <summary>
/// The Webhooks API with types. One partial file per resource under <c>Routes/</c> holds its methods, its records
/// and its own source-generated JSON context (<c>[JsonSerializable]</c> cannot be split across partial declarations
/// of one context), so adding a route area is adding one such file. Every failure the API answers becomes a
/// <see cref="WebhooksApiException"/> (or a subclass) carrying the problem's field errors.
/// </summary>
/// <remarks>Register it with <c>services.AddWebhooksClient("api")</c>, which adds the API key, service discovery and
/// retries; or construct it over any <see cref="HttpClient"/> whose <c>BaseAddress</c> is the Api.</remarks>
public sealed partial class WebhooksClient
{
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue? _authorization;

    public WebhooksClient(HttpClient http) : this(http, null)
    {
    }

    private WebhooksClient(HttpClient http, AuthenticationHeaderValue? authorization)
    {
        _http = http;
        _authorization = authorization;
    }

    /// <summary>The same client calling with another API key (a tenant user's, or the admin key), sharing the
    /// connection pool and retries. The key configured at registration is used otherwise.</summary>
    public WebhooksClient WithApiKey(string apiKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        return new WebhooksClient(_http, new AuthenticationHeaderValue("Bearer", apiKey));
    }

    /// <param name="idempotencyKey">Sent as the <c>Idempotency-Key</c> header; makes the request safe to repeat.</param>
    /// <param name="repeatable">The request is safe to send again after a lost answer (every event of a batch has its key).</param>
    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> responseType,
        CancellationToken ct, string? idempotencyKey = null, bool repeatable = false)
    {
        using var response = await SendCoreAsync(method, path, content, idempotencyKey, repeatable || idempotencyKey is not null, ct)
            .ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(responseType, ct).ConfigureAwait(false)
               ?? throw new WebhooksApiException((int)response.StatusCode, "Empty response", $"{method} {path} answered without a body.");
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, path, content, null, false, ct).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, HttpContent? content,
        string? idempotencyKey, bool repeatable, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (_authorization is not null) request.Headers.Authorization = _authorization;
        if (idempotencyKey is not null) request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        if (repeatable) request.Options.Set(Repeatable, true);
        var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await WebhooksApiException.FromResponseAsync(response, ct).ConfigureAwait(false);
    }

    private static JsonContent Json<T>(T body, JsonTypeInfo<T> typeInfo) => JsonContent.Create(body, typeInfo);

    /// <summary>The header that makes a publish idempotent; retries resend it unchanged.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Marks a POST that the API answers the same way however often it arrives (see <see cref="ClientResilience"/>).</summary>
    internal static readonly HttpRequestOptionsKey<bool> Repeatable = new("Webhooks.Client.Repeatable");
}
