namespace Webhooks.Api.Features.Users.List;

/// <param name="Role"><c>owner</c> or <c>member</c>.</param>
internal sealed record Response(Guid Id, string Email, string Name, string Role, DateTimeOffset CreatedAt);
