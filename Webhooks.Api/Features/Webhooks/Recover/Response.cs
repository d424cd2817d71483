namespace Webhooks.Api.Features.Webhooks.Recover;

internal sealed record Response(int Requeued);
