using Webhooks.Client;

namespace Webhooks.Portal.Auth;

/// <summary>Portal sessions at the Api: opened with an API key or a one-time link, checked, and ended. The portal keeps
/// only the session's credential, never the API key it was opened with.</summary>
internal sealed class PortalSessions(IServiceProvider services, ILogger<PortalSessions> logger)
{
    private WebhooksClient Anonymous => services.GetRequiredService<WebhooksClient>();

    public Task<SignInOutcome> OpenWithApiKeyAsync(string apiKey, CancellationToken ct) =>
        OpenAsync(() => Anonymous.WithApiKey(apiKey).OpenPortalSessionAsync(ct), refusal: SignInRefusal.Key);

    public Task<SignInOutcome> OpenWithLinkAsync(string token, CancellationToken ct) =>
        OpenAsync(() => Anonymous.RedeemPortalLinkAsync(token, ct), refusal: SignInRefusal.Link);

    /// <summary>False only when the Api refuses the credential; an Api that cannot be reached proves nothing.</summary>
    public async Task<bool> IsLiveAsync(string credential, CancellationToken ct)
    {
        try
        {
            await Anonymous.WithApiKey(credential).GetCurrentPortalSessionAsync(ct);
            return true;
        }
        catch (WebhooksUnauthorizedException)
        {
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or WebhooksApiException or TaskCanceledException)
        {
            return true;
        }
    }

    /// <summary>Revokes the session's credential at the Api. Best effort: the cookie goes in any case, and a credential
    /// that could not be revoked still expires.</summary>
    public async Task EndAsync(string credential, CancellationToken ct)
    {
        try
        {
            await Anonymous.WithApiKey(credential).EndPortalSessionAsync(ct);
        }
        catch (WebhooksUnauthorizedException)
        {
            // Already over.
        }
        catch (Exception e) when (e is HttpRequestException or WebhooksApiException or TaskCanceledException)
        {
            logger.LogWarning(e, "Could not end a portal session at the Api; it ends when it expires");
        }
    }

    private async Task<SignInOutcome> OpenAsync(Func<Task<NewPortalSession>> open, string refusal)
    {
        try
        {
            return new SignInOutcome(await open(), null);
        }
        catch (Exception e) when (e is WebhooksUnauthorizedException or WebhooksForbiddenException or WebhooksValidationException)
        {
            return new SignInOutcome(null, refusal);
        }
        catch (Exception e) when (e is HttpRequestException or WebhooksApiException or TaskCanceledException)
        {
            logger.LogWarning(e, "Could not open a portal session at the Api");
            return new SignInOutcome(null, SignInRefusal.Unavailable);
        }
    }
}

/// <param name="Refusal">Why there is no session (<see cref="SignInRefusal"/>), for the sign-in page to explain.</param>
internal sealed record SignInOutcome(NewPortalSession? Session, string? Refusal);

/// <summary>The sign-in page's <c>error</c> parameter.</summary>
internal static class SignInRefusal
{
    public const string Key = "key";
    public const string MissingKey = "missing-key";
    public const string Link = "link";
    public const string Ended = "ended";
    public const string Unavailable = "unavailable";
}
