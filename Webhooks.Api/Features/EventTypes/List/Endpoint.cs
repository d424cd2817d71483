using FastEndpoints;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Auth;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.EventTypes.List;

internal sealed class Endpoint(WebhooksDbContext db) : EndpointWithoutRequest<Response[]>
{
    public override void Configure()
    {
        Get("/v1/event-types");
        Policies(Auth.Policies.TenantUser);
        Summary(s => s.Summary = "The event catalog: every type a webhook may subscribe to.");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var types = await db.EventTypes.AsNoTracking().OrderBy(t => t.Name)
            .Select(t => new Response(t.Name, t.Description)).ToArrayAsync(ct);
        await Send.OkAsync(types, ct);
    }
}

internal sealed record Response(string Name, string Description);
