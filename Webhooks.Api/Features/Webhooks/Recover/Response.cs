namespace Webhooks.Api.Features.Webhooks.Recover;

/// <param name="Requeued">Failed deliveries made due now for one more attempt.</param>
/// <param name="InFlight">Failed deliveries in the window left alone because an attempt of theirs is in flight (its
/// worker is finishing it, or died and its lease has not yet expired): requeuing them could send them twice at once.</param>
internal sealed record Response(int Requeued, int InFlight);
