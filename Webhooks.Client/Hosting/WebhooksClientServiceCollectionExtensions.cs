using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Webhooks.Client;

namespace Microsoft.Extensions.DependencyInjection;

public static class WebhooksClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="WebhooksClient"/> (a typed <see cref="HttpClient"/>) calling the Api named
    /// <paramref name="serviceName"/>: an Aspire resource name resolved by service discovery (<c>"api"</c> finds
    /// <c>services__api__http__0</c>), or an absolute URL. The API key comes from <c>Webhooks:Client:ApiKey</c>.
    /// Requests are retried on 429, 503 and network errors (see <c>Webhooks:Client</c> settings), replacing any
    /// resilience handler added to every client (such as Aspire's service defaults'), whose retries would also repeat
    /// a 500 and stack their own timeouts on these.
    /// </summary>
    /// <returns>The client's builder, to add handlers or a primary handler.</returns>
    public static IHttpClientBuilder AddWebhooksClient(this IServiceCollection services, string serviceName = "api",
        Action<WebhooksClientOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        services.AddServiceDiscovery();
        var options = services.AddOptions<WebhooksClientOptions>().BindConfiguration(WebhooksClientOptions.Section);
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhooksClientOptions>, OptionsValidator>();

        var builder = services.AddHttpClient<WebhooksClient>((sp, http) =>
        {
            var settings = sp.GetRequiredService<IOptions<WebhooksClientOptions>>().Value;
            http.BaseAddress = BaseAddress(serviceName);
            http.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's timeouts bound each attempt and the whole call
            if (!string.IsNullOrWhiteSpace(settings.ApiKey)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        });
#pragma warning disable EXTEXP0001 // experimental, and the one way to drop a handler that ConfigureHttpClientDefaults added
        builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.AddResilienceHandler("webhooks-client", (pipeline, context) =>
            ClientResilience.Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<WebhooksClientOptions>>().Value));
        builder.AddServiceDiscovery();
        return builder;
    }

    private static Uri BaseAddress(string serviceName) =>
        Uri.TryCreate(serviceName, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : new Uri($"https+http://{serviceName}"); // https when the resource has it, else http

    /// <summary>Names each bad setting in the start-up error.</summary>
    private sealed class OptionsValidator : IValidateOptions<WebhooksClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, WebhooksClientOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
