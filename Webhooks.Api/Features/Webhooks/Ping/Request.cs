namespace Webhooks.Api.Features.Webhooks.Ping;

internal sealed class Request
{
    public Guid Id { get; init; }
}
