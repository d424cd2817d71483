using Microsoft.AspNetCore.Components.Authorization;
using Webhooks.Client;
using Webhooks.Portal.Auth;

namespace Webhooks.Portal.Api;

/// <summary>
/// The Api as the signed-in user: one per circuit (a scoped service), calling with the credential of that user's own
/// portal session, read from the circuit's authentication state. Nothing here is shared between sessions.
/// </summary>
internal sealed class PortalApi(IServiceProvider services, AuthenticationStateProvider authentication)
{
    public async Task<WebhooksClient> ClientAsync()
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var credential = user.Credential() ?? throw new WebhooksUnauthorizedException(401, "Unauthorized", "Nobody is signed in.", null, null, null);
        // A typed client per call: it comes from the factory's pool, so a long-lived circuit still gets fresh handlers.
        return services.GetRequiredService<WebhooksClient>().WithApiKey(credential);
    }
}
