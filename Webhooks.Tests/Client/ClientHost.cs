using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Client;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Client;

/// <summary>
/// A <see cref="WebhooksClient"/> registered as a service would register it (<c>AddWebhooksClient("api")</c>: the key
/// from configuration, service discovery, the retry pipeline), whose requests reach the stack's in-process Api.
/// </summary>
internal sealed class ClientHost : IDisposable
{
    private readonly ServiceProvider _services;

    private ClientHost(ServiceProvider services) => _services = services;

    public WebhooksClient Client => _services.GetRequiredService<WebhooksClient>();

    /// <param name="between">Handlers between the retry pipeline and the Api, outermost first (to drop or fake answers).</param>
    public static ClientHost Create(TestStack stack, string? apiKey, params DelegatingHandler[] between)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // What the AppHost's WithReference(api) sets; the in-process server answers whatever the host.
            ["services:api:http:0"] = "http://localhost",
            ["Webhooks:Client:ApiKey"] = apiKey,
            ["Webhooks:Client:MaxRetryDelay"] = "00:00:02",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        var builder = services.AddWebhooksClient("api").ConfigurePrimaryHttpMessageHandler(stack.CreateHandler);
        foreach (var handler in between) builder.AddHttpMessageHandler(() => handler);
        return new ClientHost(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }));
    }

    public void Dispose() => _services.Dispose();
}

/// <summary>Passes each request on, recording the Idempotency-Key it carried; the test decides what happens to the
/// answer (by default nothing).</summary>
internal class RecordingHandler : DelegatingHandler
{
    private int _calls;

    public List<string?> IdempotencyKeys { get; } = [];

    public int Calls => _calls;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var call = Interlocked.Increment(ref _calls);
        lock (IdempotencyKeys)
            IdempotencyKeys.Add(request.Headers.TryGetValues(WebhooksClient.IdempotencyKeyHeader, out var keys) ? keys.Single() : null);
        return await AnswerAsync(call, request, ct);
    }

    protected virtual Task<HttpResponseMessage> AnswerAsync(int call, HttpRequestMessage request, CancellationToken ct) => base.SendAsync(request, ct);
}

/// <summary>Lets the first request reach the Api and be handled, then loses its answer as a reset connection would.</summary>
internal sealed class DropFirstAnswer : RecordingHandler
{
    protected override async Task<HttpResponseMessage> AnswerAsync(int call, HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.AnswerAsync(call, request, ct);
        if (call > 1) return response;
        response.Dispose();
        throw new HttpRequestException(HttpRequestError.ResponseEnded, "The connection closed before the answer arrived (test).");
    }
}

/// <summary>Answers the first request itself with a status (and Retry-After), as a busy Api or proxy would, without
/// passing it on.</summary>
internal sealed class RefuseFirst(System.Net.HttpStatusCode status, TimeSpan? retryAfter = null) : RecordingHandler
{
    protected override Task<HttpResponseMessage> AnswerAsync(int call, HttpRequestMessage request, CancellationToken ct)
    {
        if (call > 1) return base.AnswerAsync(call, request, ct);
        var response = new HttpResponseMessage(status) { RequestMessage = request };
        if (retryAfter is { } delay) response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
        return Task.FromResult(response);
    }
}
