namespace Webhooks.Dispatcher.Sending;

/// <summary>
/// The response headers kept with an attempt, capped like its body: a receiver answering with 64 KB of headers (all
/// that HttpClient accepts) costs the attempt row at most <see cref="MaxChars"/> characters of them. Headers are kept
/// in the order received; the one that crosses the cap is cut and marked, the rest are dropped.
/// </summary>
internal static class ResponseHeaders
{
    public const int MaxChars = 10 * 1024;
    internal const string CutMark = "…[truncated]";

    public static Dictionary<string, string> From(HttpResponseMessage response, int maxChars = MaxChars)
    {
        var kept = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var used = 0;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            var value = string.Join(", ", values);
            // A name repeated in both collections joins its earlier value, as one header.
            if (kept.TryGetValue(name, out var earlier))
            {
                used -= earlier.Length;
                value = $"{earlier}, {value}";
            }
            else used += name.Length;
            var room = maxChars - used;
            if (value.Length > room)
            {
                if (room > CutMark.Length) kept[name] = value[..(room - CutMark.Length)] + CutMark;
                else if (earlier is not null) kept[name] = earlier;
                return kept;
            }
            kept[name] = value;
            used += value.Length;
        }
        return kept;
    }
}
