namespace Webhooks.Api.Features.Deliveries.Retry;

internal sealed class Request
{
    public Guid Id { get; init; }
}
