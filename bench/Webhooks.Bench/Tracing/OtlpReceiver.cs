using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Webhooks.Bench.Hosting;

namespace Webhooks.Bench.Tracing;

/// <summary>
/// A small OTLP/HTTP (protobuf) endpoint on 127.0.0.1 that the services export to with <c>--breakdown</c>
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): it keeps every span of <c>POST /v1/traces</c>, in arrival order, and accepts
/// and drops metrics and logs.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<TraceSpan> _spans = [];
    private long _lastReceived;

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>How many spans have arrived so far.</summary>
    public int Received
    {
        get
        {
            lock (_lock) return _spans.Count;
        }
    }

    /// <summary>When the last export arrived (<see cref="Environment.TickCount64"/>).</summary>
    public long LastReceived => Interlocked.Read(ref _lastReceived);

    /// <summary>The spans received from index <paramref name="from"/> on.</summary>
    public List<TraceSpan> Since(int from)
    {
        lock (_lock) return _spans.GetRange(from, _spans.Count - from);
    }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var app = Loopback.CreateServer(maxRequestBodySize: 256 * 1024 * 1024);
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", receiver.TracesAsync);
        app.MapPost("/v1/metrics", Accept);
        app.MapPost("/v1/logs", Accept);
        await app.StartAsync();
        receiver.Endpoint = new Uri(Loopback.AddressOf(app));
        return receiver;
    }

    private async Task TracesAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var spans = new List<TraceSpan>();
        OtlpTraceDecoder.Decode(body.ToArray(), spans);
        lock (_lock) _spans.AddRange(spans);
        Interlocked.Exchange(ref _lastReceived, Environment.TickCount64);
        await Accept(context);
    }

    /// <summary>An empty <c>Export*ServiceResponse</c>: everything accepted.</summary>
    private static Task Accept(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-protobuf";
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
