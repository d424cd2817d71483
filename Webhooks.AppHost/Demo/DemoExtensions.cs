using Microsoft.Extensions.Configuration;
using Webhooks.AppHost.Infrastructure;
using Webhooks.Core;

namespace Webhooks.AppHost.Demo;

internal static class DemoExtensions
{
    public const string ConfigKey = "AppHost:Demo";

    /// <summary>
    /// The live demo (on unless <c>AppHost:Demo=false</c>): <c>pos-simulator</c> bootstraps a tenant and three webhooks
    /// through the Api with the admin key and publishes POS events through Webhooks.Client; <c>demo-receiver</c>
    /// verifies every delivery's signatures and fails a share on purpose, so successes, retries, alerts and a disabled
    /// webhook all show in the dashboard within a minute. The two share a folder of this run for the demo's state.
    /// </summary>
    public static void AddWebhooksDemo(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ParameterResource> adminApiKey)
    {
        if (!builder.Configuration.GetValue(ConfigKey, defaultValue: true)) return;
        var state = LocalDataDirectories.Create("demo");

        var receiver = builder.AddProject<Projects.Webhooks_DemoReceiver>(ResourceNames.DemoReceiver)
            .WithEnvironment("Demo__StateDirectory", state)
            .WithHttpHealthCheck("/health");

        builder.AddProject<Projects.Webhooks_PosSimulator>(ResourceNames.PosSimulator)
            .WithReference(api)
            .WithEnvironment("Demo__AdminApiKey", adminApiKey)
            .WithEnvironment("Demo__ReceiverUrl", receiver.GetEndpoint("http"))
            .WithEnvironment("Demo__StateDirectory", state)
            .WithHttpHealthCheck("/health")
            .WaitFor(api)
            .WaitFor(receiver); // its webhooks point at the receiver
    }
}
