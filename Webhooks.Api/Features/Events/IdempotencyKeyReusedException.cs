namespace Webhooks.Api.Features.Events;

/// <summary>
/// An <c>Idempotency-Key</c> came back with another type or data than the event it first published (or than an
/// earlier event of the same request). Like Stripe, the Api refuses it with 409 instead of silently answering with the
/// first event: the publisher most likely reused a key by mistake, and its new event would otherwise be lost.
/// </summary>
/// <param name="index">The event's position in the request (0 for a single publish).</param>
/// <param name="firstIndex">The earlier event of the same request that used the key, when that is the one that differs.</param>
internal sealed class IdempotencyKeyReusedException(int index, string key, Guid? publishedEventId, int? firstIndex = null)
    : Exception(Describe(key, publishedEventId, firstIndex))
{
    public int Index { get; } = index;

    private static string Describe(string key, Guid? publishedEventId, int? firstIndex) => publishedEventId is { } id
        ? $"The idempotency key '{key}' was already used for event {id} with a different type or data; a new event needs a new key."
        : $"The idempotency key '{key}' is used by events[{firstIndex}] of this request with a different type or data.";
}
