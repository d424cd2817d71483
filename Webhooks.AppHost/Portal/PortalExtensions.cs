using Microsoft.Extensions.Configuration;
using Webhooks.Core;

namespace Webhooks.AppHost.Portal;

internal static class PortalExtensions
{
    public const string ConfigKey = "AppHost:Portal";

    /// <summary>
    /// The tenant portal (on unless <c>AppHost:Portal=false</c>): a Blazor app that calls the Api as the signed-in user.
    /// The Api learns its address for the one-time sign-in links it mints. Fixtures that do not look at it (the bench)
    /// turn it off, as they turn off the demo, so its process takes no share of the cores they measure.
    /// </summary>
    public static void AddWebhooksPortal(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api)
    {
        if (!builder.Configuration.GetValue(ConfigKey, defaultValue: true)) return;

        var portal = builder.AddProject<Projects.Webhooks_Portal>(ResourceNames.Portal)
            .WithReference(api)
            .WithHttpHealthCheck("/health")
            .WaitFor(api);
        api.WithEnvironment("Webhooks__Portal__BaseUrl", portal.GetEndpoint("http")); // where portal sign-in links point
    }
}
