namespace Webhooks.Portal.Api;

/// <summary>The signed-in user's unread notification count, shared by the header's bell and the Notifications page
/// of one circuit, so marking one read updates both.</summary>
internal sealed class UnreadNotifications(PortalApi api)
{
    /// <summary>Counted up to a page of the Api (500); the bell shows "99+" well before that.</summary>
    private const int CountUpTo = 500;

    public int? Count { get; private set; }

    public event Action? Changed;

    public async Task RefreshAsync()
    {
        try
        {
            var client = await api.ClientAsync();
            Count = (await client.ListNotificationsAsync(unreadOnly: true, limit: CountUpTo)).Items.Count;
        }
        catch (Exception e) when (e is HttpRequestException or Webhooks.Client.WebhooksApiException)
        {
            Count = null; // the bell just shows no number; the pages say what went wrong
        }
        Changed?.Invoke();
    }
}
