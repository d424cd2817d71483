using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Webhooks.Bench.Hosting;

/// <summary>A bare Kestrel on 127.0.0.1 and a port of its own, for the bench's own servers (the webhook receiver, the
/// OTLP receiver): no logging, no server header.</summary>
internal static class Loopback
{
    public static WebApplication CreateServer(long? maxRequestBodySize = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0);
            if (maxRequestBodySize is { } max) k.Limits.MaxRequestBodySize = max;
        });
        builder.Logging.ClearProviders();
        return builder.Build();
    }

    /// <summary>The started server's address, <c>http://127.0.0.1:port</c>.</summary>
    public static string AddressOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
