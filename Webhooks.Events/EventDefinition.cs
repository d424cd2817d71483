using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;

namespace Webhooks.Events;

/// <summary>One event type of the catalog: its name, description, the record of its <c>data</c>, the JSON Schema
/// generated from that record, and an example.</summary>
public sealed class EventDefinition
{
    private readonly Lazy<JsonElement> _schema;
    private readonly Lazy<JsonElement> _example;

    private EventDefinition(string type, string description, JsonTypeInfo typeInfo, object example)
    {
        Type = type;
        Description = description;
        TypeInfo = typeInfo;
        _schema = new(() => EventSchemas.Export(typeInfo, type, description));
        _example = new(() => JsonSerializer.SerializeToElement(example, typeInfo));
    }

    /// <summary>The catalog name, e.g. <c>sale.created</c>.</summary>
    public string Type { get; }

    public string Description { get; }

    /// <summary>The record of the <c>data</c> (e.g. <see cref="SaleCreated"/>).</summary>
    public Type DataType => TypeInfo.Type;

    /// <summary>The source-generated serialization of <see cref="DataType"/>.</summary>
    public JsonTypeInfo TypeInfo { get; }

    /// <summary>The JSON Schema (draft 2020-12) of the <c>data</c>, generated from the record.</summary>
    public JsonElement Schema => _schema.Value;

    /// <summary>The record's <c>Example</c> as JSON.</summary>
    public JsonElement Example => _example.Value;

    /// <summary>The definition of <typeparamref name="T"/>.</summary>
    public static EventDefinition Of<T>() where T : IWebhookEvent<T> =>
        new(T.Type, T.Description, EventsJsonContext.Default.GetTypeInfo(typeof(T))!, T.Example);

    public override string ToString() => Type;
}

/// <summary>JSON Schemas from the records, with .NET's own exporter, so schema and serialization cannot disagree.</summary>
internal static class EventSchemas
{
    private static readonly JsonSchemaExporterOptions Options = new()
    {
        // Reference types the compiler knows nothing about are taken as non-null; the records are all annotated.
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = (context, schema) =>
        {
            // [Description] on a property (or a type) becomes the schema's "description", for docs and generators.
            var provider = context.PropertyInfo?.AttributeProvider ?? context.TypeInfo.Type;
            var description = provider.GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), inherit: false)
                .OfType<System.ComponentModel.DescriptionAttribute>().FirstOrDefault()?.Description;
            if (description is not null && schema is JsonObject node && !node.ContainsKey("description"))
                node.Insert(0, "description", description);
            return schema;
        },
    };

    public static JsonElement Export(JsonTypeInfo typeInfo, string type, string description)
    {
        var schema = (JsonObject)typeInfo.Options.GetJsonSchemaAsNode(typeInfo.Type, Options);
        schema.Insert(0, "$schema", "https://json-schema.org/draft/2020-12/schema");
        schema.Insert(1, "title", type);
        if (!schema.ContainsKey("description")) schema.Insert(2, "description", description);
        return JsonSerializer.SerializeToElement(schema, EventsJsonContext.Default.JsonObject);
    }
}
