using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Webhooks.Bench.Receiving;

/// <summary>
/// The webhook endpoint the bench registers: Kestrel on 127.0.0.1 with one minimal handler that stamps each request's
/// arrival and answers at once. Each path is a separate <see cref="Inbox"/> (one per scenario), so arrivals never
/// mix. A path that starts with <c>/fail-first</c> answers 500 to the first attempt of each delivery and 200 after.
/// An inbox can be held (<see cref="Inbox.Hold"/>): its requests then wait, and are stamped when it opens.
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Inbox> _endpoints = new(StringComparer.Ordinal);

    private Receiver(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The endpoint at <paramref name="path"/>, created on first use.</summary>
    public Inbox At(string path) => _endpoints.GetOrAdd(path, p => new Inbox(BaseUrl + p, failFirst: p.StartsWith("/fail-first", StringComparison.Ordinal)));

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0);
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var arrived = TimeProvider.System.GetUtcNow().UtcTicks;
        if (!_endpoints.TryGetValue(context.Request.Path.Value ?? "", out var inbox))
        {
            context.Response.StatusCode = 404;
            return;
        }
        var body = await context.Request.BodyReader.ReadAsync(context.RequestAborted);
        while (!body.IsCompleted)
        {
            context.Request.BodyReader.AdvanceTo(body.Buffer.Start, body.Buffer.End);
            body = await context.Request.BodyReader.ReadAsync(context.RequestAborted);
        }
        var eventId = DeliveryBody.EventId(body.Buffer);
        context.Request.BodyReader.AdvanceTo(body.Buffer.End);

        if (inbox.Gate is { IsCompleted: false } gate)
        {
            await gate.WaitAsync(context.RequestAborted);
            arrived = TimeProvider.System.GetUtcNow().UtcTicks;
        }

        var deliveryId = Guid.TryParse(context.Request.Headers["webhook-id"], out var id) ? id : Guid.Empty;
        var attempt = inbox.Record(deliveryId, eventId, arrived);
        if (inbox.Delay > TimeSpan.Zero) await Task.Delay(inbox.Delay, context.RequestAborted);
        context.Response.StatusCode = inbox.FailFirst && attempt == 1 ? 500 : 200;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
