using Microsoft.AspNetCore.Mvc;
using Webhooks.Client;

namespace Webhooks.Portal.Auth;

/// <summary>
/// The HTTP side of signing in and out: plain form posts and one GET for links, because only a real HTTP response can
/// set or clear the session cookie (an interactive page talks over its circuit). Each turns an API key or a one-time
/// link into a portal session at the Api, and keeps only that session's credential.
/// </summary>
internal static class SignInEndpoints
{
    /// <summary>Where a user lands after signing in.</summary>
    private const string Home = "/endpoints";

    public static void MapPortalSignIn(this WebApplication app)
    {
        // Form posts carry the antiforgery token the sign-in page renders; minimal APIs check it for [FromForm].
        app.MapPost("/signin", SignInWithKeyAsync);
        app.MapGet("/signin/link", SignInWithLinkAsync);
        app.MapPost("/signout", SignOutAsync).RequireAuthorization();
        app.MapGet("/session-ended", SessionEndedAsync);
    }

    private static async Task<IResult> SignInWithKeyAsync(HttpContext http, [FromForm] string? apiKey, [FromForm] string? returnUrl,
        PortalSessions sessions, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(apiKey)) return Results.LocalRedirect($"/signin?error={SignInRefusal.MissingKey}");
        var outcome = await sessions.OpenWithApiKeyAsync(apiKey.Trim(), ct);
        if (outcome.Session is null) return Results.LocalRedirect($"/signin?error={outcome.Refusal}");
        await ReplaceSessionAsync(http, sessions, outcome.Session, ct);
        return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : Home);
    }

    private static async Task<IResult> SignInWithLinkAsync(HttpContext http, [FromQuery] string? token, PortalSessions sessions,
        CancellationToken ct)
    {
        // The link is spent by this request whatever happens next: never let a browser or proxy cache the answer.
        http.Response.Headers.CacheControl = "no-store";
        if (string.IsNullOrWhiteSpace(token)) return Results.LocalRedirect($"/signin?error={SignInRefusal.Link}");
        var outcome = await sessions.OpenWithLinkAsync(token, ct);
        if (outcome.Session is null) return Results.LocalRedirect($"/signin?error={outcome.Refusal}");
        await ReplaceSessionAsync(http, sessions, outcome.Session, ct);
        return Results.LocalRedirect(Home);
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, PortalSessions sessions, CancellationToken ct)
    {
        if (http.User.Credential() is { } credential) await sessions.EndAsync(credential, ct);
        await PortalCookie.SignOutAsync(http);
        return Results.LocalRedirect("/signin?signed-out=1");
    }

    /// <summary>Where a page goes when the Api refuses its credential (expired, signed out elsewhere, key revoked). A
    /// GET, so it clears the cookie only once the Api confirms the session is over: a forged visit signs nobody out.</summary>
    private static async Task<IResult> SessionEndedAsync(HttpContext http, PortalSessions sessions, CancellationToken ct)
    {
        if (http.User.Credential() is { } credential && await sessions.IsLiveAsync(credential, ct)) return Results.LocalRedirect(Home);
        await PortalCookie.SignOutAsync(http);
        return Results.LocalRedirect($"/signin?error={SignInRefusal.Ended}");
    }

    /// <summary>Signing in over an existing session (say, a second link) ends the old one at the Api first.</summary>
    private static async Task ReplaceSessionAsync(HttpContext http, PortalSessions sessions, NewPortalSession session, CancellationToken ct)
    {
        if (http.User.Credential() is { } previous) await sessions.EndAsync(previous, ct);
        await PortalCookie.SignInAsync(http, session);
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));
}
