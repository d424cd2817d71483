namespace Webhooks.Api.Http;

/// <summary>
/// Endpoint metadata: the largest request body the endpoint reads, in bytes, which <see cref="RequestSizeLimits"/>
/// enforces. An endpoint without it reads at most <see cref="DefaultBytes"/>.
/// </summary>
/// <param name="bytes">Resolved per request from the app's services, so a limit may follow a setting.</param>
internal sealed class BodySizeLimit(Func<IServiceProvider, long> bytes)
{
    /// <summary>What an endpoint reads when it declares nothing: far more than any management request needs.</summary>
    public const long DefaultBytes = 1024 * 1024;

    public long For(HttpContext context) => bytes(context.RequestServices);
}
