namespace Webhooks.Api.Features.Deliveries.Get;

internal sealed class Request
{
    public Guid Id { get; init; }
}
