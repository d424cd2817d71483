namespace Webhooks.DemoReceiver;

/// <summary>
/// Which deliveries the demo fails on purpose, so the dashboard shows every kind of outcome: <c>legacy-erp</c> is
/// down for good (alerts at 3, 5 and 10 failures in a row, then the webhook is disabled); the others answer most
/// deliveries but fail one in five, which the Dispatcher retries (a 503 asks for the retry in 5 seconds).
/// </summary>
internal sealed class FailurePolicy
{
    public const string DownEndpoint = "legacy-erp";

    /// <summary>The status to fail a delivery with, or null to accept it.</summary>
    public (int Status, TimeSpan? RetryAfter)? Failure(string endpoint) =>
        endpoint == DownEndpoint ? (500, null)
        : Random.Shared.NextDouble() switch
        {
            < 0.10 => (503, TimeSpan.FromSeconds(5)),
            < 0.20 => (500, null),
            _ => null,
        };
}
