using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Webhooks.Bench.Hosting;

namespace Webhooks.Bench.Receiving;

/// <summary>
/// The webhook endpoint the bench registers, run as a process of its own (<c>Webhooks.Bench --receiver</c>, started by
/// <see cref="Receiver"/>), so that arrivals are stamped on time whatever the load generator's threads, GC and
/// timers are doing (issue 17: retry punctuality is measured here). Kestrel on 127.0.0.1 with one minimal handler that
/// stamps each request's arrival and answers at once. Each path is a separate <see cref="Inbox"/>, made on first use. A
/// path that starts with <c>/fail-first</c> answers 500 to the first attempt of each delivery and 200 after. The bench
/// holds, opens and slows paths through <c>/_bench/…</c>, and reads every arrival from one stream,
/// <c>GET /_bench/arrivals</c>. It prints its address on the first line of stdout and stops when stdin closes (the
/// bench exited, however it did).
/// </summary>
internal sealed class ReceiverProcess
{
    public const string Argument = "--receiver";
    public const string ListeningPrefix = "listening ";
    private const string ControlPrefix = "/_bench";

    private readonly ConcurrentDictionary<string, Inbox> _inboxes = new(StringComparer.Ordinal);
    private readonly Channel<(string Path, Arrival Arrival)> _stream = Channel.CreateUnbounded<(string, Arrival)>(
        new UnboundedChannelOptions { SingleReader = true });
    private string _baseUrl = "";

    public static async Task<int> RunAsync()
    {
        var app = Loopback.CreateServer();
        var receiver = new ReceiverProcess();
        // One terminal handler, no routing: every path is a webhook endpoint but the bench's own.
        app.Run(context => context.Request.Path.StartsWithSegments(ControlPrefix) ? receiver.ControlAsync(context) : receiver.HandleAsync(context));
        await app.StartAsync();
        receiver._baseUrl = Loopback.AddressOf(app);
        Console.WriteLine(ListeningPrefix + receiver._baseUrl);
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    private async Task ControlAsync(HttpContext context)
    {
        var path = context.Request.Query["path"].ToString();
        switch (context.Request.Path.Value?[ControlPrefix.Length..])
        {
            case "/arrivals":
                await StreamAsync(context);
                return;
            case "/hold":
                At(path).Hold();
                return;
            case "/open":
                At(path).Open();
                return;
            case "/delay" when int.TryParse(context.Request.Query["ms"], out var ms):
                At(path).Delay = TimeSpan.FromMilliseconds(ms);
                return;
            default:
                context.Response.StatusCode = 404;
                return;
        }
    }

    private Inbox At(string path) =>
        _inboxes.GetOrAdd(path, p => new Inbox(_baseUrl + p, failFirst: p.StartsWith("/fail-first", StringComparison.Ordinal)));

    private async Task HandleAsync(HttpContext context)
    {
        var arrived = TimeProvider.System.GetUtcNow().UtcTicks;
        var inbox = At(context.Request.Path.Value ?? "");
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
        var arrival = inbox.Record(deliveryId, eventId, arrived);
        _stream.Writer.TryWrite((context.Request.Path.Value ?? "", arrival));
        if (inbox.Delay > TimeSpan.Zero) await Task.Delay(inbox.Delay, context.RequestAborted);
        context.Response.StatusCode = inbox.FailFirst && arrival.Attempt == 1 ? 500 : 200;
    }

    /// <summary>Every arrival, as it happens: see <see cref="Write"/> for the record.</summary>
    private async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "application/octet-stream";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted); // the headers, now: the bench waits for them
        var reader = _stream.Reader;
        while (await reader.WaitToReadAsync(context.RequestAborted))
        {
            while (reader.TryRead(out var item)) Write(context.Response.BodyWriter, item.Path, item.Arrival);
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        }
    }

    /// <summary>One record: the path's length (2 bytes) and UTF-8 bytes, the delivery id, the event id (16 bytes each),
    /// the arrival's UTC ticks (8) and the attempt number (4); little-endian.</summary>
    public static void Write(IBufferWriter<byte> output, string path, Arrival arrival)
    {
        var pathBytes = Encoding.UTF8.GetBytes(path);
        var span = output.GetSpan(RecordSize(pathBytes.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)pathBytes.Length);
        pathBytes.CopyTo(span[2..]);
        var rest = span[(2 + pathBytes.Length)..];
        arrival.DeliveryId.TryWriteBytes(rest);
        arrival.EventId.TryWriteBytes(rest[16..]);
        BinaryPrimitives.WriteInt64LittleEndian(rest[32..], arrival.Ticks);
        BinaryPrimitives.WriteInt32LittleEndian(rest[40..], arrival.Attempt);
        output.Advance(RecordSize(pathBytes.Length));
    }

    public static int RecordSize(int pathBytes) => 2 + pathBytes + 44;

    /// <summary>Reads one record written by <see cref="Write"/>, if <paramref name="buffer"/> holds a whole one.</summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out string path, out Arrival arrival)
    {
        path = "";
        arrival = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadLittleEndian(out short length) || reader.Remaining < (ushort)length + 44) return false;
        Span<byte> record = stackalloc byte[(ushort)length + 44];
        reader.TryCopyTo(record);
        path = Encoding.UTF8.GetString(record[..(ushort)length]);
        var rest = record[(ushort)length..];
        arrival = new Arrival(new Guid(rest[..16]), new Guid(rest[16..32]), BinaryPrimitives.ReadInt64LittleEndian(rest[32..]),
            BinaryPrimitives.ReadInt32LittleEndian(rest[40..]));
        buffer = buffer.Slice(RecordSize((ushort)length));
        return true;
    }
}
