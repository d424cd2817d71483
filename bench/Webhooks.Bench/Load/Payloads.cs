using System.Text;

namespace Webhooks.Bench.Load;

/// <summary>The bodies the bench sends: one realistic sale (~170 bytes of data), as an event and as a delivery.</summary>
internal static class Payloads
{
    public const string EventType = "sale.created";

    private const string Data =
        """{"saleId":"S-000123","storeId":42,"total":"129.95","currency":"EUR","items":[{"sku":"A-1","qty":2,"price":"49.99"},{"sku":"B-7","qty":1,"price":"29.97"}]}""";

    /// <summary><c>POST /v1/events</c>.</summary>
    public static readonly byte[] Event = Encoding.UTF8.GetBytes($$"""{"type":"{{EventType}}","data":{{Data}}}""");

    /// <summary><c>POST /v1/events/batch</c> with <paramref name="size"/> copies of the event.</summary>
    public static byte[] Batch(int size)
    {
        var item = $$"""{"type":"{{EventType}}","data":{{Data}}}""";
        return Encoding.UTF8.GetBytes($$"""{"events":[{{string.Join(',', Enumerable.Repeat(item, size))}}]}""");
    }

    /// <summary>What the Dispatcher sends for that event, for the raw-limit run that leaves the service out.</summary>
    public static byte[] Delivery(Guid eventId) =>
        Encoding.UTF8.GetBytes($$"""{"id":"{{eventId}}","type":"{{EventType}}","timestamp":"2026-11-28T12:00:00.000Z","data":{{Data}}}""");
}
