using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Webhooks.Api.Features.PortalSessions;
using Webhooks.Core.Data;
using Webhooks.Core.Secrets;

namespace Webhooks.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>. The admin key comes from configuration; every other key belongs to a
/// tenant user and is found by its SHA-256 hash. Challenges and forbids answer problem+json like every other error.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<ApiOptions> apiOptions,
    IMemoryCache cache,
    IServiceScopeFactory scopes,
    IProblemDetailsService problemDetails) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    // Lookups are cached briefly: keys cannot be revoked through the API yet, and this takes a query off every request.
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);

    private readonly byte[] _adminKeyHash = ApiKeyGenerator.Hash(apiOptions.Value.AdminApiKey);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
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

        var claims = await cache.GetOrCreateAsync(Convert.ToHexString(hash), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
            var found = await (
                from key in db.ApiKeys
                join user in db.Users on key.UserId equals user.Id
                join tenant in db.Tenants on user.TenantId equals tenant.Id
                where key.Hash == hash && key.RevokedAt == null
                select new { user.Id, user.TenantId, IsOwner = tenant.OwnerUserId == user.Id }).FirstOrDefaultAsync(Context.RequestAborted);
            return found is null
                ? null
                : new[]
                {
                    new Claim(ApiClaims.UserIdType, found.Id.ToString()),
                    new Claim(ApiClaims.TenantIdType, found.TenantId.ToString()),
                    new Claim(ClaimTypes.Role, found.IsOwner ? Roles.Owner : Roles.Member),
                };
        });
        return claims is null ? AuthenticateResult.Fail("Unknown API key.") : Success(claims);
    }

    private async Task<AuthenticateResult> AuthenticatePortalSessionAsync(byte[] hash)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        var now = Context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var claims = await PortalSessionCredentials.FindAsync(db, hash, now, Context.RequestAborted);
        return claims is null ? AuthenticateResult.Fail("Unknown, expired or revoked portal session.") : Success(claims);
    }

    private AuthenticateResult Success(IEnumerable<Claim> claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return WriteProblem(StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send a valid API key as 'Authorization: Bearer <key>'.");
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
