using System.Diagnostics;
using Google.Protobuf;

namespace Webhooks.Bench.Tracing;

/// <summary>One span as a service exported it. Times are UTC ticks (the machine's clock, as the receiver's).</summary>
internal sealed record TraceSpan(string Service, string Name, SpanKind Kind, ActivityTraceId TraceId, ActivitySpanId SpanId,
    ActivitySpanId ParentId, long StartTicks, long EndTicks, IReadOnlyList<ActivityContext> Links)
{
    public double DurationMs => TimeSpan.FromTicks(EndTicks - StartTicks).TotalMilliseconds;
}

/// <summary>OTLP's <c>Span.SpanKind</c>.</summary>
internal enum SpanKind { Unspecified = 0, Internal = 1, Server = 2, Client = 3, Producer = 4, Consumer = 5 }

/// <summary>
/// Reads the few fields the breakdown needs out of an OTLP/HTTP <c>ExportTraceServiceRequest</c> (protobuf) by hand, so
/// the bench needs no generated code or vendored .proto files. Field numbers from opentelemetry-proto
/// (trace/v1/trace.proto, resource/v1, common/v1); everything else is skipped.
/// </summary>
internal static class OtlpTraceDecoder
{
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>Adds the request's spans to <paramref name="spans"/>.</summary>
    public static void Decode(byte[] body, List<TraceSpan> spans)
    {
        // ExportTraceServiceRequest: 1 resource_spans (repeated).
        foreach (var resourceSpans in Messages(new CodedInputStream(body), 1)) DecodeResourceSpans(resourceSpans, spans);
    }

    private static void DecodeResourceSpans(ByteString message, List<TraceSpan> spans)
    {
        // ResourceSpans: 1 resource, 2 scope_spans (repeated).
        var service = "?";
        var scopes = new List<ByteString>();
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: service = ServiceName(input.ReadBytes()) ?? service; break;
                case 2: scopes.Add(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }
        // ScopeSpans: 2 spans (repeated).
        foreach (var scope in scopes)
        foreach (var span in Messages(scope.CreateCodedInput(), 2))
            spans.Add(DecodeSpan(service, span));
    }

    /// <summary>Resource: 1 attributes (repeated KeyValue: 1 key, 2 value = AnyValue: 1 string_value).</summary>
    private static string? ServiceName(ByteString resource)
    {
        foreach (var attribute in Messages(resource.CreateCodedInput(), 1))
        {
            string? key = null, value = null;
            var input = attribute.CreateCodedInput();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: key = input.ReadString(); break;
                    case 2: value = StringValue(input.ReadBytes()); break;
                    default: input.SkipLastField(); break;
                }
            }
            if (key == "service.name") return value;
        }
        return null;
    }

    private static string? StringValue(ByteString anyValue)
    {
        var input = anyValue.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1) return input.ReadString();
            input.SkipLastField();
        }
        return null;
    }

    /// <summary>Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start_time_unix_nano (fixed64),
    /// 8 end_time_unix_nano (fixed64), 13 links (repeated Link: 1 trace_id, 2 span_id).</summary>
    private static TraceSpan DecodeSpan(string service, ByteString message)
    {
        ActivityTraceId traceId = default;
        ActivitySpanId spanId = default, parentId = default;
        var name = "";
        var kind = SpanKind.Unspecified;
        ulong start = 0, end = 0;
        var links = new List<ActivityContext>();
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = TraceId(input.ReadBytes()); break;
                case 2: spanId = SpanId(input.ReadBytes()); break;
                case 4: parentId = SpanId(input.ReadBytes()); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = (SpanKind)input.ReadEnum(); break;
                case 7: start = input.ReadFixed64(); break;
                case 8: end = input.ReadFixed64(); break;
                case 13: links.Add(Link(input.ReadBytes())); break;
                default: input.SkipLastField(); break;
            }
        }
        return new TraceSpan(service, name, kind, traceId, spanId, parentId, Ticks(start), Ticks(end), links);
    }

    private static ActivityContext Link(ByteString message)
    {
        ActivityTraceId traceId = default;
        ActivitySpanId spanId = default;
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = TraceId(input.ReadBytes()); break;
                case 2: spanId = SpanId(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new ActivityContext(traceId, spanId, ActivityTraceFlags.None);
    }

    private static IEnumerable<ByteString> Messages(CodedInputStream input, int field)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field) yield return input.ReadBytes();
            else input.SkipLastField();
        }
    }

    private static ActivityTraceId TraceId(ByteString bytes) => bytes.Length == 16 ? ActivityTraceId.CreateFromBytes(bytes.Span) : default;

    private static ActivitySpanId SpanId(ByteString bytes) => bytes.Length == 8 ? ActivitySpanId.CreateFromBytes(bytes.Span) : default;

    private static long Ticks(ulong unixNanos) => UnixEpochTicks + (long)(unixNanos / 100);
}
