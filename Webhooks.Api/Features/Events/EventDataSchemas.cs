using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Json.Schema;
using Microsoft.Extensions.Options;
using Webhooks.Core.Options;
using Webhooks.Events;

namespace Webhooks.Api.Features.Events;

/// <summary>
/// Checks published <c>data</c> against its type's JSON Schema, generated from the event records of
/// <c>Webhooks.Events</c>, when <c>Webhooks:Events:ValidateSchemas</c> is on. Off (the default), publishing pays for
/// one flag read: the schemas are not even compiled.
/// </summary>
internal sealed class EventDataSchemas(IOptions<EventsOptions> options)
{
    // Compiled once per process: the definitions are static, and the validator keeps no state between evaluations.
    private static readonly Lazy<Dictionary<string, JsonSchema>> Compiled = new(() =>
        EventDefinitions.All.ToDictionary(d => d.Type,
            d => JsonSchema.Build(d.Schema, new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri($"urn:webhooks:events:{d.Type}"))));

    // Valid data (the usual case) is only flagged, which allocated ~40% less than listing; the list of problems is
    // worked out only for data that fails.
    private static readonly EvaluationOptions Flag = new() { OutputFormat = OutputFormat.Flag };
    private static readonly EvaluationOptions List = new() { OutputFormat = OutputFormat.List };

    public bool Enabled { get; } = options.Value.ValidateSchemas;

    private readonly int _maxPayloadBytes = options.Value.MaxPayloadBytes;

    /// <summary>Where <paramref name="data"/> breaks the schema of <paramref name="type"/>: each path relative to the
    /// data (<c>.lines[0].quantity</c>, or empty for the data itself) with what is wrong there.</summary>
    /// <remarks>Data over <c>Webhooks:Events:MaxPayloadBytes</c> is not evaluated: the endpoint refuses it with the
    /// Api's one 413 (<c>PayloadTooLargeException</c>), whatever its shape, and evaluating it would be wasted work.</remarks>
    public IEnumerable<(string Path, string Message)> Problems(string type, JsonElement data)
    {
        if (JsonMarshal.GetRawUtf8Value(data).Length > _maxPayloadBytes) yield break;
        if (!Compiled.Value.TryGetValue(type, out var schema)) yield break;
        if (schema.Evaluate(data, Flag).IsValid) yield break;
        var results = schema.Evaluate(data, List);
        foreach (var result in results.Details ?? [])
        {
            if (result.IsValid || result.Errors is not { Count: > 0 } errors) continue;
            foreach (var (_, message) in errors) yield return (Path(result.InstanceLocation.ToString()), message);
        }
    }

    /// <summary>A JSON Pointer (<c>/lines/0/quantity</c>) in the API's field notation (<c>.lines[0].quantity</c>).</summary>
    internal static string Path(string pointer)
    {
        var path = new StringBuilder();
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Replace("~1", "/").Replace("~0", "~");
            if (name.All(char.IsAsciiDigit)) path.Append('[').Append(name).Append(']');
            else path.Append('.').Append(name);
        }
        return path.ToString();
    }
}
