using System.Net;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.ScaleOut;

/// <summary>Both services on a Redis Cluster given only its node list: the Redis health check (CLUSTER INFO, an admin
/// command) passes without the operator adding <c>allowAdmin</c> to the connection string.</summary>
public sealed class ClusterHealthTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Both_services_are_healthy_on_a_cluster_given_only_its_node_list()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await TestStack.StartAsync(infrastructure, redis: RedisBackend.Cluster);
        Assert.DoesNotContain("allowAdmin", stack.RedisConnectionString, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(LocalRedisCluster.Masters, stack.RedisMultiplexer.GetServers().Count(s => !s.IsReplica));

        using var api = stack.CreateClient();
        using var dispatcher = stack.CreateDispatcherClient();
        foreach (var client in new[] { api, dispatcher })
        {
            var response = await client.GetAsync("/health", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(ct));
        }
    }
}
