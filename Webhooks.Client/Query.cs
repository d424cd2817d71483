using System.Globalization;
using System.Text;

namespace Webhooks.Client;

/// <summary>Builds a route with its query string, leaving out parameters that are null.</summary>
internal sealed class Query(string path)
{
    private readonly StringBuilder _text = new(path);
    private char _separator = '?';

    public Query Add(string name, object? value)
    {
        if (value is null) return this;
        var text = value switch
        {
            DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
            bool flag => flag ? "true" : "false",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString()!,
        };
        _text.Append(_separator).Append(name).Append('=').Append(Uri.EscapeDataString(text));
        _separator = '&';
        return this;
    }

    public override string ToString() => _text.ToString();
}
