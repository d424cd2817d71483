namespace Webhooks.Api.Features.Webhooks.RotateSecret;

/// <param name="Secret">The new signing secret. Shown only in this response: store it now.</param>
/// <param name="PreviousSecretExpiresAt">Until when deliveries also carry a signature made with the old secret;
/// null when no grace period was asked for.</param>
internal sealed record Response(string Secret, DateTimeOffset? PreviousSecretExpiresAt);
