namespace Webhooks.Api.Features.Webhooks.Get;

internal sealed class Request
{
    public Guid Id { get; init; }
}
