using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Webhooks.Api.Extensions;

/// <summary>
/// An operation that needs no key (redeeming a portal link: the link's token is the credential) says so with the empty
/// requirement (<c>security: [{}]</c>, OpenAPI's "no scheme needed"); without one, readers and linters cannot tell it
/// from an operation whose requirement was forgotten. (NSwag drops an empty <c>security</c> list when it writes.)
/// </summary>
internal sealed class PublicOperations : IDocumentProcessor
{
    public void Process(DocumentProcessorContext context)
    {
        foreach (var operation in context.Document.Paths.Values.SelectMany(p => p.Values))
            if (operation.Security is null || operation.Security.Count == 0) operation.Security = [new OpenApiSecurityRequirement()];
    }
}
