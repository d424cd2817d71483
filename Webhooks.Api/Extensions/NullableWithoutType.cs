using NJsonSchema;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Webhooks.Api.Extensions;

/// <summary>
/// OpenAPI 3.0 gives <c>nullable</c> a meaning only beside a <c>type</c>, and linters reject it elsewhere. NSwag writes
/// it without one in two places: a property that wraps a <c>$ref</c> in <c>oneOf</c> (the tenant's <c>owner</c>), and a
/// <c>JsonElement</c> (any JSON: an event's <c>data</c>, a catalog entry's <c>schema</c>). A nullable wrapper takes the
/// type of the schema it refers to; <c>nullable: false</c>, and <c>nullable</c> on "any JSON" (which includes null), are
/// dropped.
/// </summary>
internal sealed class NullableWithoutType : IDocumentProcessor
{
    public void Process(DocumentProcessorContext context)
    {
        var seen = new HashSet<JsonSchema>();
        foreach (var schema in context.Document.Components.Schemas.Values) Visit(schema, seen);
    }

    private static void Visit(JsonSchema schema, HashSet<JsonSchema> seen)
    {
        if (!seen.Add(schema)) return;
        if (schema.IsNullableRaw is { } nullable && schema.Type == JsonObjectType.None)
        {
            var target = schema.OneOf.Concat(schema.AllOf).Select(s => s.ActualSchema).FirstOrDefault(s => s.Type != JsonObjectType.None);
            if (nullable && target is not null) schema.Type = target.Type;
            else schema.IsNullableRaw = null;
        }
        foreach (var child in Children(schema)) Visit(child, seen);
    }

    private static IEnumerable<JsonSchema> Children(JsonSchema schema) =>
        schema.Properties.Values.Cast<JsonSchema>()
            .Concat(schema.OneOf).Concat(schema.AllOf).Concat(schema.AnyOf).Concat(schema.Items)
            .Concat(new[] { schema.Item, schema.AdditionalPropertiesSchema }.OfType<JsonSchema>());
}
