using System.Net.Http.Headers;
using System.Text;

namespace Webhooks.Tests.Hostile;

/// <summary>One hostile request: what to send, and a label for the failure message.</summary>
public sealed record BadRequest(string Label, HttpMethod Method, string Path, HttpContent? Body = null, Action<HttpRequestHeaders>? Headers = null)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, Path) { Content = Body };
        Headers?.Invoke(message.Headers);
        return message;
    }

    public override string ToString() => $"{Method} {Path[..Math.Min(Path.Length, 80)]} [{Label}]";
}

/// <summary>Generates bad requests route by route: broken JSON, wrong types, huge values, bad ids, cursors and headers.</summary>
public static class BadRequests
{
    /// <summary>Bodies no JSON route may accept.</summary>
    public static IEnumerable<(string Label, HttpContent Body)> BrokenBodies()
    {
        foreach (var (label, text) in new[]
                 {
                     ("empty", ""), ("open brace", "{"), ("truncated", """{"type":"sale.created","data":{"a":"""),
                     ("array", "[1,2,3]"), ("bare string", "\"hello\""), ("bare number", "42"), ("null", "null"),
                     ("trailing garbage", """{"type":"sale.created","data":{}}}}"""), ("single quotes", "{'type':'sale.created'}"),
                     ("comment", """{/* x */"type":"sale.created","data":{}}"""), ("NaN", """{"type":"sale.created","data":{"a":NaN}}"""),
                     ("lone surrogate", """{"type":"\uD800","data":{}}"""), ("deep nesting", new string('[', 5000) + new string(']', 5000)),
                     ("control characters", "{\"type\":\"sale\u0001created\",\"data\":{}}"),
                     ("NUL inside data", """{"type":"sale.created","data":{"a":"x\u0000y"},"name":"a\u0000b","url":"https://x.example/\u0000","email":"a\u0000@example.com"}"""),
                 })
        {
            yield return (label, new StringContent(text, Encoding.UTF8, "application/json"));
        }
        var invalidUtf8 = new ByteArrayContent([(byte)'{', (byte)'"', 0xC3, 0x28, 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        invalidUtf8.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        yield return ("invalid UTF-8", invalidUtf8);
        yield return ("wrong content type", new StringContent("""{"type":"sale.created","data":{}}""", Encoding.UTF8, "text/plain"));
        yield return ("form body", new FormUrlEncodedContent([new("type", "sale.created")]));
        var oversized = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"x\":\"" + new string('a', 2 * 1024 * 1024) + "\"}"));
        oversized.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        yield return ("2 MiB body", oversized);
    }

    /// <summary>Well-formed JSON whose fields have the wrong type or an absurd value.</summary>
    public static IEnumerable<(string Label, string Json)> WrongFields(IReadOnlyDictionary<string, string> validFields)
    {
        string[] wrongValues = ["null", "42", "true", "[]", "{}", "\"\"", "\"" + new string('x', 100_000) + "\"", "-1", "1e309", "\"\\u0000\""];
        foreach (var field in validFields.Keys)
        {
            foreach (var value in wrongValues)
            {
                var fields = validFields.ToDictionary(f => f.Key, f => f.Key == field ? value : f.Value);
                var json = "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";
                // Skip substitutions that happen to be valid for the field (e.g. "{}" for data).
                if (value == validFields[field]) continue;
                yield return ($"{field}={(value.Length > 20 ? value[..20] + "…" : value)}", json);
            }
        }
    }

    public static readonly string[] BadIds =
    [
        "not-a-guid", "00000000-0000-0000-0000-000000000000", Guid.NewGuid().ToString(), "1", "-1", "%01", "..%2F..%2Fetc%2Fpasswd",
        new string('9', 1500), "'%20OR%201=1--", "%E2%80%AE", "{guid}",
    ];

    public static readonly string[] BadListQueries =
    [
        "?limit=0", "?limit=-5", "?limit=501", "?limit=abc", "?limit=99999999999999999999", "?cursor=", "?cursor=%00%00",
        "?cursor=AAAAAAAAAAAAAAAAAAAAAA%3D%3D", "?cursor=" + new string('A', 3000),
    ];

    public static readonly (string Label, Action<HttpRequestHeaders> Apply)[] BadAuth =
    [
        ("no scheme", h => h.TryAddWithoutValidation("Authorization", "whk_abc")),
        ("basic", h => h.TryAddWithoutValidation("Authorization", "Basic dXNlcjpwYXNz")),
        ("empty bearer", h => h.TryAddWithoutValidation("Authorization", "Bearer ")),
        ("huge bearer", h => h.TryAddWithoutValidation("Authorization", "Bearer " + new string('k', 6000))),
        ("unknown key", h => h.TryAddWithoutValidation("Authorization", "Bearer whk_" + new string('z', 43))),
        ("two keys", h => h.TryAddWithoutValidation("Authorization", "Bearer a, Bearer b")),
    ];
}
