using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Webhooks.Api.Features.Events;

/// <summary>
/// JSON that parses but that Postgres' <c>jsonb</c> refuses: the NUL character, a UTF-16 surrogate escape without its
/// pair (<c>"\ud800"</c>), and numbers beyond <c>numeric</c> (more than 131,072 digits before the decimal point or
/// 16,383 after it, as in <c>1e200000</c>). Found here, before the write, so that such a request fails alone with a
/// 400 naming the field; at the insert it would fail the whole group write it shares with other tenants' requests.
/// </summary>
/// <remarks>The rules mirror Postgres 15's <c>numeric_in</c> and <c>json_lex</c>; a test compares this with Postgres
/// itself on a corpus of edge cases. One pass over the raw UTF-8 as received, allocating only for escaped strings;
/// the JSON path is worked out again only for a payload found bad.</remarks>
internal static class StorableJson
{
    /// <summary>numeric: at most this many decimal digits before the point…</summary>
    private const long MaxIntegerDigits = 131072;
    /// <summary>…and this many after it (its display scale).</summary>
    private const long MaxFractionDigits = 16383;
    /// <summary>Postgres refuses an exponent this large outright, even on zero.</summary>
    private const long MaxExponent = int.MaxValue / 2;

    /// <summary>Null when Postgres can store <paramref name="data"/>; else the JSON path (below <paramref name="root"/>)
    /// of the first value it cannot, and why.</summary>
    public static (string Path, string Reason)? FindUnstorable(JsonElement data, string root)
    {
        var raw = JsonMarshal.GetRawUtf8Value(data);
        if (FirstProblem(raw, trackPath: false) is null) return null;
        var (path, reason) = FirstProblem(raw, trackPath: true)!.Value;
        return (root + path, reason);
    }

    private static (string Path, string Reason)? FirstProblem(ReadOnlySpan<byte> raw, bool trackPath)
    {
        var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = 1024 });
        // Only kept on the second pass, to name where: per open object its current property, per open array its index.
        var path = trackPath ? new List<Level>() : null;
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                path?.RemoveAt(path.Count - 1);
                continue;
            }
            string? reason;
            if (token == JsonTokenType.PropertyName)
            {
                reason = StringProblem(ref reader, out var name);
                // A name that cannot be decoded is shown as written, escapes and all.
                if (path is not null) path[^1] = path[^1] with { Property = name ?? Encoding.UTF8.GetString(reader.ValueSpan) };
                if (reason is not null) return (Render(path), "a property name " + reason);
                continue;
            }
            if (path is [.., { IsArray: true } array]) path[^1] = array with { Index = array.Index + 1 };
            reason = token switch
            {
                JsonTokenType.String => StringProblem(ref reader, out _),
                JsonTokenType.Number when !FitsNumeric(reader.ValueSpan) =>
                    "is a number beyond what Postgres numeric holds (131072 digits before the point, 16383 after)",
                _ => null,
            };
            if (reason is not null) return (Render(path), reason);
            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                path?.Add(new Level(token == JsonTokenType.StartArray, -1, null));
        }
        return null;
    }

    private readonly record struct Level(bool IsArray, int Index, string? Property);

    private static string? StringProblem(ref Utf8JsonReader reader, out string? text)
    {
        text = null;
        // Unescaped text is valid UTF-8 (the reader checked it), and NUL or a lone surrogate can only be spelled escaped.
        if (!reader.ValueIsEscaped) return null;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return "has a \\u escape of an unpaired UTF-16 surrogate, which Postgres cannot store";
        }
        return text.Contains('\0') ? "contains the NUL character (\\u0000), which Postgres cannot store" : null;
    }

    private static string Render(List<Level>? path)
    {
        var text = new StringBuilder();
        // The outermost level is the root object itself, which the caller names.
        foreach (var level in path ?? [])
        {
            if (level.IsArray) text.Append('[').Append(level.Index).Append(']');
            else if (level.Property is not null) text.Append('.').Append(level.Property);
        }
        return text.ToString();
    }

    /// <summary>Whether Postgres' numeric takes this JSON number (already known to be well-formed).</summary>
    internal static bool FitsNumeric(ReadOnlySpan<byte> number)
    {
        // Without an exponent, a number this short has at most MaxFractionDigits digits on either side: fine.
        if (number.Length <= MaxFractionDigits && number.IndexOfAny((byte)'e', (byte)'E') < 0) return true;

        var i = number[0] == '-' ? 1 : 0;
        var integerStart = i;
        while (i < number.Length && char.IsAsciiDigit((char)number[i])) i++;
        var integer = number[integerStart..i];
        var fraction = ReadOnlySpan<byte>.Empty;
        if (i < number.Length && number[i] == '.')
        {
            var fractionStart = ++i;
            while (i < number.Length && char.IsAsciiDigit((char)number[i])) i++;
            fraction = number[fractionStart..i];
        }
        long exponent = 0;
        if (i < number.Length)
        {
            i++; // e or E
            var negative = number[i] == '-';
            if (number[i] is (byte)'-' or (byte)'+') i++;
            for (; i < number.Length; i++)
            {
                exponent = exponent * 10 + (number[i] - '0');
                if (exponent >= MaxExponent) return false;
            }
            if (negative) exponent = -exponent;
        }

        if (Math.Max(0, fraction.Length - exponent) > MaxFractionDigits) return false;
        // The power of ten of the first significant digit: it fixes the digits before the point. Zero has none.
        var first = integer.IndexOfAnyExcept((byte)'0');
        long power;
        if (first >= 0) power = integer.Length - 1 - first + exponent;
        else if (fraction.IndexOfAnyExcept((byte)'0') is var inFraction && inFraction >= 0) power = -(inFraction + 1) + exponent;
        else return true;
        return power + 1 <= MaxIntegerDigits;
    }
}
