using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Client;

/// <summary>An RFC 9457 problem as the API writes it. <c>errors</c> comes in two spellings: FastEndpoints' list of
/// <c>{name, reason}</c> and ASP.NET Core's map of field → messages; both are read.</summary>
internal sealed record ProblemBody(string? Type, string? Title, int? Status, string? Detail, string? Instance, string? TraceId,
    JsonElement? Errors)
{
    public IReadOnlyDictionary<string, string[]> FieldErrors()
    {
        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string? message) =>
            (fields.TryGetValue(field, out var list) ? list : fields[field] = []).Add(message ?? "");

        if (Errors is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var error in list.EnumerateArray())
            {
                if (error.ValueKind != JsonValueKind.Object) continue;
                var name = error.TryGetProperty("name", out var n) ? n.GetString() : null;
                var reason = error.TryGetProperty("reason", out var r) ? r.GetString() : null;
                Add(name ?? "", reason);
            }
        }
        else if (Errors is { ValueKind: JsonValueKind.Object } map)
        {
            foreach (var field in map.EnumerateObject())
            {
                if (field.Value.ValueKind == JsonValueKind.Array)
                    foreach (var message in field.Value.EnumerateArray()) Add(field.Name, message.ToString());
                else Add(field.Name, field.Value.ToString());
            }
        }
        return fields.ToDictionary(f => f.Key, f => f.Value.ToArray(), StringComparer.Ordinal);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class ProblemJson : JsonSerializerContext;
