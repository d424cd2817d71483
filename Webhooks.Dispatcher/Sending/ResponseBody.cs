using System.Text;

namespace Webhooks.Dispatcher.Sending;

/// <summary>Keeps at most a fixed number of bytes of a response body and never reads past them: a receiver that
/// streams gigabytes (or never ends its body) costs one small buffer.</summary>
internal static class ResponseBody
{
    public static async Task<string> ReadAsync(Stream body, int maxBytes, CancellationToken ct)
    {
        if (maxBytes == 0) return "";
        var buffer = new byte[maxBytes];
        var length = 0;
        while (length < maxBytes)
        {
            var read = await body.ReadAsync(buffer.AsMemory(length, maxBytes - length), ct);
            if (read == 0) break;
            length += read;
        }
        return Decode(buffer.AsSpan(0, length));
    }

    /// <summary>UTF-8 with invalid bytes (a character cut at the limit, a binary body) replaced; NUL is replaced too
    /// because Postgres text cannot hold it.</summary>
    internal static string Decode(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes).Replace('\0', '\uFFFD');
}
