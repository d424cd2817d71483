namespace Webhooks.Api.Features.Events.PublishBatch;

/// <summary>One entry per published event, in request order.</summary>
internal sealed record Response(IReadOnlyList<Publish.Response> Items);
