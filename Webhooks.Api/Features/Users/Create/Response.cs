namespace Webhooks.Api.Features.Users.Create;

/// <param name="ApiKey">The new user's API key. Shown only in this response: store it now.</param>
internal sealed record Response(Guid Id, string Email, string Name, DateTimeOffset CreatedAt, string ApiKey);
