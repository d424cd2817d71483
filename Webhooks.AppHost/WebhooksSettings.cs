using Microsoft.Extensions.Configuration;

namespace Webhooks.AppHost;

internal static class WebhooksSettings
{
    /// <summary>Passes every <c>Webhooks:*</c> setting of the AppHost's own configuration to a service, so that one
    /// place (appsettings, environment, or a test's builder) sets e.g. the retry schedule for both services.</summary>
    public static IResourceBuilder<ProjectResource> WithWebhooksSettings(this IResourceBuilder<ProjectResource> project, IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.GetSection("Webhooks").AsEnumerable())
        {
            if (value is not null) project.WithEnvironment(key.Replace(":", "__"), value);
        }
        return project;
    }
}
