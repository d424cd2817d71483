namespace Webhooks.Api.Features.Tenants.Create;

/// <param name="ApiKey">The owner's API key. Shown only in this response: store it now.</param>
internal sealed record Response(Guid Id, string Name, DateTimeOffset CreatedAt, Owner Owner, string ApiKey);

internal sealed record Owner(Guid Id, string Email, string Name, DateTimeOffset CreatedAt);
