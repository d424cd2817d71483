namespace Webhooks.Api.Features.PortalLinks.Create;

/// <param name="Url">Open it in a browser to sign in to the portal. It works once.</param>
/// <param name="ExpiresAt">After this the link is refused even if unused.</param>
internal sealed record Response(string Url, DateTimeOffset ExpiresAt);
