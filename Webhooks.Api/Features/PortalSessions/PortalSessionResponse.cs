namespace Webhooks.Api.Features.PortalSessions;

/// <summary>A portal session as <c>GET /v1/portal-sessions/current</c> shows it: who it signs in, and until when.</summary>
/// <param name="User">The signed-in user; <c>role</c> is <c>owner</c> or <c>member</c>.</param>
internal sealed record PortalSessionResponse(Guid Id, DateTimeOffset ExpiresAt, SessionUser User, SessionTenant Tenant);

/// <summary>A new portal session with its credential, which is shown only in this response.</summary>
/// <param name="Token">The session's bearer credential (<c>whps_…</c>): use it as an API key until it expires or is
/// revoked by <c>DELETE /v1/portal-sessions/current</c>.</param>
internal sealed record NewPortalSessionResponse(Guid Id, string Token, DateTimeOffset ExpiresAt, SessionUser User, SessionTenant Tenant);

internal sealed record SessionUser(Guid Id, string Email, string Name, string Role);

internal sealed record SessionTenant(Guid Id, string Name);
