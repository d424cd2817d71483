using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.ScaleOut;

/// <summary>
/// Replicas start together: several Apis on an empty database at the same moment (what <c>AppHost:ApiReplicas</c>
/// does) must all come up, the migrations applied once. Before the Apis took turns on an advisory lock, the second
/// failed with "column already exists" and exited, and the Dispatchers, waiting for every Api replica, never started.
/// </summary>
public sealed class ConcurrentStartTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Three_apis_started_at_once_on_an_empty_database_all_become_healthy()
    {
        var (database, keyPrefix) = infrastructure.NextStack();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__webhooksdb"] = infrastructure.DatabaseConnectionString(database),
            ["ConnectionStrings__redis"] = infrastructure.RedisConnectionString,
            ["Webhooks__Redis__KeyPrefix"] = keyPrefix,
            ["Webhooks__AdminApiKey"] = "concurrent-start-admin-key-0123456789",
            ["Webhooks__Secrets__EncryptionKey"] = "concurrent-start-encryption-key-0123456789abcdef",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var apis = Enumerable.Range(1, 3).Select(n => ServiceProcess.Create($"api-{n}", "Webhooks.Api", environment)).ToList();
        try
        {
            foreach (var api in apis) api.Start();
            foreach (var api in apis) await api.WaitHealthyAsync();
        }
        finally
        {
            foreach (var api in apis) await api.DisposeAsync();
        }
    }
}
