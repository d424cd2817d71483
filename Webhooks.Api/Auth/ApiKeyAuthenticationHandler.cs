using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Webhooks.Api.Features.PortalSessions;
using Webhooks.Core.Data;
using Webhooks.Core.Secrets;

namespace Webhooks.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>. The admin key comes from configuration; every other key belongs to a
/// tenant user and is found by its SHA-256 hash, in <see cref="ApiKeyCache"/> or else in Postgres. Challenges and
/// forbids answer problem+json like every other error; the detail says why a known key was refused.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<ApiOptions> apiOptions,
    ApiKeyCache cache,
    ApiKeyUsage usage,
    TimeProvider time,
    IServiceScopeFactory scopes,
    IProblemDetailsService problemDetails) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string DefaultRefusal = "Send a valid API key as 'Authorization: Bearer <key>'.";
    private static readonly object RefusalItem = new();

    private readonly byte[] _adminKeyHash = ApiKeyGenerator.Hash(apiOptions.Value.AdminApiKey);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        using var activity = ApiTelemetry.ActivitySource.StartActivity("authenticate API key");
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 512)
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <api key>'.");

        var token = header["Bearer ".Length..].Trim();
        var hash = ApiKeyGenerator.Hash(token);
        // Comparing hashes in fixed time: neither the admin key nor its length leaks through response timing.
        if (CryptographicOperations.FixedTimeEquals(hash, _adminKeyHash))
            return Success([new Claim(ClaimTypes.Role, Roles.Admin)]);
        if (token.StartsWith(PortalTokens.SessionPrefix, StringComparison.Ordinal))
            return await AuthenticatePortalSessionAsync(hash);

        var hashText = Convert.ToHexString(hash);
        var key = cache.Find(hashText) ?? await LookUpAsync(hash, hashText);
        if (key is null) return AuthenticateResult.Fail("Unknown API key.");
        if (key.ExpiresAt <= time.GetUtcNow()) return Refuse($"This API key expired at {key.ExpiresAt:O}.");

        usage.Used(key.KeyId);
        return Success(
        [
            new Claim(ApiClaims.UserIdType, key.UserId.ToString()),
            new Claim(ApiClaims.TenantIdType, key.TenantId.ToString()),
            new Claim(ClaimTypes.Role, key.IsOwner ? Roles.Owner : Roles.Member),
            new Claim(ApiClaims.ApiKeyIdType, key.KeyId.ToString()),
        ]);
    }

    /// <summary>Finds the key in Postgres and caches it if it is live. Unknown and revoked keys are not cached, so
    /// they cost no memory (and a revoked key is never remembered as valid).</summary>
    private async Task<KnownApiKey?> LookUpAsync(byte[] hash, string hashText)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        var found = await (
            from key in db.ApiKeys
            join user in db.Users on key.UserId equals user.Id
            join tenant in db.Tenants on user.TenantId equals tenant.Id
            where key.Hash == hash && key.RevokedAt == null
            select new KnownApiKey(key.Id, user.Id, user.TenantId, tenant.OwnerUserId == user.Id, key.ExpiresAt))
            .FirstOrDefaultAsync(Context.RequestAborted);
        if (found is not null) cache.Add(hashText, found);
        return found;
    }

    private AuthenticateResult Refuse(string why)
    {
        Context.Items[RefusalItem] = why;
        return AuthenticateResult.Fail(why);
    }

    private async Task<AuthenticateResult> AuthenticatePortalSessionAsync(byte[] hash)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        var claims = await PortalSessionCredentials.FindAsync(db, hash, time.GetUtcNow(), Context.RequestAborted);
        return claims is null ? Refuse("This portal session is unknown, expired or signed out; sign in again.") : Success(claims);
    }

    private AuthenticateResult Success(IEnumerable<Claim> claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return WriteProblem(StatusCodes.Status401Unauthorized, "Unauthorized", Context.Items[RefusalItem] as string ?? DefaultRefusal);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "Forbidden", "This API key may not use this route.");

    private async Task WriteProblem(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
