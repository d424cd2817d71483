using Webhooks.Core;
using Webhooks.Portal.Auth;

namespace Webhooks.Portal.Api;

internal static class PortalApiExtensions
{
    /// <summary>The Api through the typed client, found by service discovery (<c>services__api__http__0</c>). The
    /// client holds no key: every call names the signed-in user's own credential (<see cref="PortalApi"/>), so two
    /// sessions never share one.</summary>
    public static void AddPortalApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddWebhooksClient(ResourceNames.Api);
        builder.Services.AddSingleton<PortalSessions>();
        builder.Services.AddScoped<PortalApi>();
        builder.Services.AddScoped<UnreadNotifications>();
        builder.Services.AddSingleton(TimeProvider.System);
    }
}
