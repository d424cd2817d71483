using System.Text.Json;
using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Core.Data;
using Webhooks.Events;

namespace Webhooks.Api.Features.EventTypes.List;

internal sealed class Endpoint(WebhooksDbContext db) : EndpointWithoutRequest<Response[]>
{
    public override void Configure()
    {
        Get("/v1/event-types");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "The event catalog: every type a webhook may subscribe to, with the JSON Schema and an example of its data.";
            s.Description = "`schema` (JSON Schema draft 2020-12) and `example` are generated from the event records of the " +
                            "Webhooks.Events package, which Webhooks.Client publishes. With Webhooks:Events:ValidateSchemas on, " +
                            "published data that breaks its schema is refused with a 400 naming the path.";
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var types = await db.EventTypes.AsNoTracking().OrderBy(t => t.Name).ToArrayAsync(ct);
        await Send.OkAsync(types.Select(t => ToResponse(t.Name, t.Description)).ToArray(), ct);
    }

    private static Response ToResponse(string name, string description) =>
        EventDefinitions.Find(name) is { } definition
            ? new Response(name, description, definition.Schema, definition.Example)
            : new Response(name, description, null, null);
}

/// <param name="Schema">JSON Schema of the event's <c>data</c>; null for a type the Api has no definition of.</param>
/// <param name="Example">An example <c>data</c>; null likewise.</param>
internal sealed record Response(string Name, string Description, JsonElement? Schema, JsonElement? Example);
