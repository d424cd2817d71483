namespace Webhooks.Api.Features.Events.Publish;

internal sealed record Response(Guid Id, string Type, DateTimeOffset CreatedAt, IReadOnlyList<PublishedDelivery> Deliveries)
{
    public static Response From(PublishedEvent e) => new(e.Id, e.Type, e.CreatedAt, e.Deliveries);
}
