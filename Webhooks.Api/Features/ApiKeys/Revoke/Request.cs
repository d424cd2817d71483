namespace Webhooks.Api.Features.ApiKeys.Revoke;

internal sealed class Request
{
    public Guid Id { get; init; }
}
