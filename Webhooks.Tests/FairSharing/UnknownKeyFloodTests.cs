using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Api.Auth;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.FairSharing;

/// <summary>
/// DESIGN.md "Fair sharing": unknown API keys cost a bounded amount of memory however many arrive. Thousands of
/// requests, each with a bearer key never seen before, each get 401; the Api's key cache holds none of them, and the
/// memory of a real Api process stays flat while they arrive.
/// </summary>
public sealed class UnknownKeyFloodTests(InfrastructureFixture infrastructure)
{
    private const int Concurrency = 16;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_flood_of_5000_distinct_unknown_keys_gets_401_each_and_the_key_cache_holds_only_the_known_key()
    {
        await using var stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        using var owner = stack.CreateClient(tenant.OwnerApiKey);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/v1/webhooks", Ct)).StatusCode);
        var cache = stack.ApiServices.GetRequiredService<ApiKeyCache>();
        Assert.Equal(1, cache.Count);

        using var client = stack.CreateClient();
        await FloodAsync(client, 5000);

        Assert.Equal(1, cache.Count);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/v1/webhooks", Ct)).StatusCode);
    }

    /// <remarks>The bound is generous (the process' resident memory moves by 10–20 MB between rounds as the GC sees
    /// fit): it catches anything that keeps more than about 8 KB per unknown key (seen failing with 16 KB kept per key:
    /// +179 MB over the 8000). A cache of the misses themselves, a few hundred bytes each, is caught by the cache's own
    /// count above (seen: 5001 entries when misses were cached).</remarks>
    [Fact]
    public async Task A_flood_of_10000_distinct_unknown_keys_gets_401_each_and_leaves_the_Api_process_memory_flat()
    {
        const int perRound = 2000;
        const long bound = 64_000_000;
        await using var stack = await ProcessStack.StartAsync(infrastructure);
        using var api = Process.GetProcessById(stack.Apis[0].Pid);
        using var client = stack.CreateApiClient();

        // A first round warms the process up (JIT, connection pools, the GC's budgets): what it takes is not per key.
        await FloodAsync(client, perRound);
        var rss = new List<long> { ResidentBytes(api) };
        for (var round = 0; round < 4; round++)
        {
            await FloodAsync(client, perRound);
            rss.Add(ResidentBytes(api));
        }

        var shown = string.Join(", ", rss.Select(b => $"{b / 1_000_000} MB"));
        TestContext.Current.TestOutputHelper?.WriteLine($"Api resident memory after the warm-up and after each round of {perRound} unknown keys: {shown}");
        Assert.True(rss.Max() - rss[0] < bound, $"the Api grew by more than {bound / 1_000_000} MB over {4 * perRound} unknown keys: {shown}");
    }

    private static long ResidentBytes(Process process)
    {
        process.Refresh();
        return process.WorkingSet64;
    }

    /// <summary>Sends <paramref name="count"/> requests, <see cref="Concurrency"/> at a time, each with a key of its own,
    /// and asserts each was refused with a 401 problem.</summary>
    private static async Task FloodAsync(HttpClient client, int count)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/webhooks");
                request.Headers.Authorization = new("Bearer", ApiKeyGenerator.Generate());
                using var response = await client.SendAsync(request, Ct);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }));
    }
}
