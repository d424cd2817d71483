using Microsoft.AspNetCore.Components;
using Webhooks.Client;
using Webhooks.Portal.Api;

namespace Webhooks.Portal.Components.Shared;

/// <summary>
/// A page that calls the Api as the signed-in user. <see cref="CallAsync{T}"/> turns every failure into what the page
/// shows: a refused credential sends the browser to <c>/session-ended</c> (which signs out once the Api confirms the
/// session is over), a refused request becomes <see cref="Error"/> with the Api's own explanation, and an Api that
/// cannot be reached says to try again.
/// </summary>
public abstract class PortalPage : ComponentBase
{
    [Inject] private PortalApi Api { get; set; } = default!;
    [Inject] private protected NavigationManager Navigation { get; set; } = default!;

    /// <summary>What went wrong with the last call, for the page's error state; null after a call that worked.</summary>
    protected string? Error { get; set; }

    /// <summary>Field → messages of the last refused call, to show beside the form's inputs.</summary>
    protected IReadOnlyDictionary<string, string[]> FieldErrors { get; private set; } = new Dictionary<string, string[]>();

    protected async Task<T?> CallAsync<T>(Func<WebhooksClient, Task<T>> call)
    {
        try
        {
            var result = await call(await Api.ClientAsync());
            Error = null;
            FieldErrors = new Dictionary<string, string[]>();
            return result;
        }
        catch (WebhooksUnauthorizedException)
        {
            Navigation.NavigateTo("/session-ended", forceLoad: true);
        }
        catch (WebhooksApiException e)
        {
            FieldErrors = e.Errors;
            Error = e.Errors.Count > 0 ? string.Join(" ", e.Errors.SelectMany(f => f.Value)) : e.Detail ?? e.Title ?? $"The Api answered {e.Status}.";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Error = "The Webhooks API cannot be reached right now. Try again in a moment.";
        }
        return default;
    }

    protected async Task<bool> CallAsync(Func<WebhooksClient, Task> call) =>
        await CallAsync(async client =>
        {
            await call(client);
            return true;
        });

    /// <summary>The first message the last refused call gave for <paramref name="field"/>, if any.</summary>
    protected string? FieldError(string field) =>
        FieldErrors.FirstOrDefault(f => f.Key.Equals(field, StringComparison.OrdinalIgnoreCase) || f.Key.StartsWith(field + "[", StringComparison.OrdinalIgnoreCase))
            .Value?.FirstOrDefault();
}
