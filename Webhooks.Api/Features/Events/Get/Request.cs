namespace Webhooks.Api.Features.Events.Get;

internal sealed class Request
{
    public Guid Id { get; init; }
}
