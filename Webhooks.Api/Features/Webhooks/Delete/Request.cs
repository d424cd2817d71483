namespace Webhooks.Api.Features.Webhooks.Delete;

internal sealed class Request
{
    public Guid Id { get; init; }
}
