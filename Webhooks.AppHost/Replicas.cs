using Microsoft.Extensions.Configuration;

namespace Webhooks.AppHost;

/// <summary>
/// <c>AppHost:ApiReplicas</c> and <c>AppHost:DispatcherReplicas</c> (default 1): how many processes of each service
/// run. Aspire's replicas share one resource; the dashboard lists each as the resource name plus a suffix of its own
/// (<c>api-x7k2q</c>), and its logs, traces and metrics carry that instance's name. Any number of either is safe: Apis
/// keep nothing between requests, and Dispatchers share the work through the atomic claim in Redis.
/// </summary>
internal static class Replicas
{
    public const string ApiKey = "AppHost:ApiReplicas";
    public const string DispatcherKey = "AppHost:DispatcherReplicas";

    public static IResourceBuilder<ProjectResource> WithReplicasFrom(this IResourceBuilder<ProjectResource> project, IConfiguration configuration, string key)
    {
        var replicas = Count(configuration[key], key);
        // One is Aspire's default.
        return replicas == 1 ? project : project.WithReplicas(replicas);
    }

    public static int Count(string? configured, string key) =>
        string.IsNullOrWhiteSpace(configured) ? 1
        : int.TryParse(configured, out var n) && n is >= 1 and <= 64 ? n
        : throw new InvalidOperationException($"{key} must be a whole number from 1 to 64 (was '{configured}').");
}
