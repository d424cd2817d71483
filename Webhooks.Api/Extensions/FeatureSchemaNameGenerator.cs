using NJsonSchema.Generation;

namespace Webhooks.Api.Extensions;

/// <summary>
/// OpenAPI schema names for the one-folder-per-use-case layout: every slice names its DTOs <c>Request</c> and
/// <c>Response</c>, so short class names collide (Request, Request2, …). A type in
/// <c>Features.&lt;Area&gt;.&lt;UseCase&gt;</c> is named Area + UseCase + class (<c>WebhooksCreateRequest</c>); any
/// other type keeps its class name, with generic arguments spelled out (<c>PageOfWebhookResponse</c>).
/// </summary>
internal sealed class FeatureSchemaNameGenerator : ISchemaNameGenerator
{
    private const string FeaturesNamespace = "Webhooks.Api.Features.";

    public string Generate(Type type)
    {
        var name = type.Name.Split('`')[0];
        if (type.DeclaringType is { } outer) name = Generate(outer) + name; // ProblemDetails.Error → ProblemDetailsError
        if (type.IsGenericType)
            name += "Of" + string.Join("And", type.GetGenericArguments().Select(Generate));

        var ns = type.Namespace ?? "";
        if (!ns.StartsWith(FeaturesNamespace, StringComparison.Ordinal)) return name;
        var slice = ns[FeaturesNamespace.Length..].Split('.');
        return slice.Length == 2 ? slice[0] + slice[1] + name : name;
    }
}
