using FastEndpoints;
using Microsoft.Extensions.Options;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.PortalSessions;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.PortalLinks.Create;

internal sealed class Endpoint(WebhooksDbContext db, IOptions<PortalOptions> options, TimeProvider time) : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Post("/v1/portal-links");
        Policies(Auth.Policies.TenantUser);
        Summary(s =>
        {
            s.Summary = "Mints a one-time sign-in link to the tenant portal for the caller.";
            s.Description = "A product sends its users straight into the portal with it. The link signs its user in once, within " +
                "`Webhooks:Portal:LinkLifetime` (10 minutes by default); a second visit, or one after `expiresAt`, is refused. " +
                "Only a hash of its token is stored.";
            s.Response<Response>(201, "The link and when it expires.");
            s.Unauthorized().Forbidden("The admin key has no tenant.")
                .Conflict("The Api does not know where the portal is (`Webhooks:Portal:BaseUrl` is not set).");
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        if (options.Value.BaseUri is not { } baseUri)
        {
            await Send.ResultAsync(TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Portal not configured",
                detail: "Set Webhooks:Portal:BaseUrl to the portal's address to mint portal links."));
            return;
        }

        var now = time.GetUtcNowForDb();
        var token = PortalTokens.Generate(PortalTokens.LinkPrefix);
        var link = new PortalLink
        {
            Id = Guid.CreateVersion7(now),
            UserId = User.UserId(),
            Hash = PortalTokens.Hash(token),
            CreatedAt = now,
            ExpiresAt = now + options.Value.LinkLifetime,
        };
        db.PortalLinks.Add(link);
        await db.SaveChangesAsync(ct);
        await Send.ResponseAsync(new Response(LinkUrl(baseUri, token), link.ExpiresAt), StatusCodes.Status201Created, ct);
    }

    /// <summary>The portal's <c>/signin/link</c> page with the token; the portal redeems it at once.</summary>
    private static string LinkUrl(Uri baseUri, string token) =>
        new Uri(baseUri, $"{baseUri.AbsolutePath.TrimEnd('/')}/signin/link?token={Uri.EscapeDataString(token)}").AbsoluteUri;
}
