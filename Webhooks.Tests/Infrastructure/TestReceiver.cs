using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Webhooks.Tests.Infrastructure;

/// <summary>A real HTTP receiver on 127.0.0.1 that records every request and answers as the test says.</summary>
public sealed class TestReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();

    private TestReceiver(WebApplication app) => _app = app;

    /// <summary>Answers each request; by default 200. Tests replace it to fail, hang, redirect, …</summary>
    public Func<HttpContext, ReceivedRequest, Task> Respond { get; set; } = (context, _) =>
    {
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    };

    public IReadOnlyCollection<ReceivedRequest> Received => _received;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The URL of a path on this receiver, e.g. <c>Url("/hooks/a")</c>.</summary>
    public string Url(string path) => BaseUrl + path;

    public IReadOnlyList<ReceivedRequest> ReceivedAt(string path) => _received.Where(r => r.Path == path).ToList();

    public static async Task<TestReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new TestReceiver(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var request = new ReceivedRequest(
                context.Request.Path, context.Request.Method,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body, DateTimeOffset.UtcNow);
            receiver._received.Enqueue(request);
            await receiver.Respond(context, request);
        });
        await app.StartAsync();
        receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed record ReceivedRequest(string Path, string Method, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset ReceivedAt);
