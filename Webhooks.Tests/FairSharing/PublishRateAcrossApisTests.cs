using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.FairSharing;

/// <summary>
/// DESIGN.md "Fair sharing": <c>Webhooks:Limits:PublishPerSecondPerTenant</c> is held across Api processes. Two Api
/// processes on one Redis share each tenant's bucket, so publishing through both at once spends it no faster than
/// through one: both answer 429 with Retry-After once it is spent, and what they accepted together is one bucket's
/// worth, not two.
/// </summary>
/// <remarks>Seen with a bucket per process (the process id added to its Redis key): 2002 accepted, 1000 through each.</remarks>
public sealed class PublishRateAcrossApisTests(InfrastructureFixture infrastructure)
{
    private const int Rate = 5;
    /// <summary>What the bucket holds when full: one full batch (1000 events), as the rate is below that.</summary>
    private const int Bucket = 1000;
    private const int BatchSize = 50;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Publishing_through_two_api_processes_at_once_spends_one_shared_budget_then_both_answer_429_with_Retry_After()
    {
        await using var stack = await ProcessStack.StartAsync(infrastructure,
            new Dictionary<string, string> { ["Webhooks:Limits:PublishPerSecondPerTenant"] = $"{Rate}" }, apis: 2, dispatchers: 0);
        var apiKey = await stack.NewTenantAsync("Busy");
        using var first = stack.CreateApiClient(apiKey, api: 0);
        using var second = stack.CreateApiClient(apiKey, api: 1);

        var clock = Stopwatch.StartNew();
        // One event through each first, so neither Api is still compiling its publish path while the other spends the bucket.
        foreach (var api in new[] { first, second })
            Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsJsonAsync("/v1/events/batch", Batch(1), Ct)).StatusCode);
        // Two publishers on each Api, all four at once, each until its Api refuses it.
        var results = await Task.WhenAll(new[] { first, first, second, second }.Select(PublishUntilRefusedAsync));
        var elapsed = clock.Elapsed;

        var (onFirst, onSecond) = (results[0].Accepted + results[1].Accepted, results[2].Accepted + results[3].Accepted);
        var accepted = 2 + onFirst + onSecond;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"accepted {accepted} events in {elapsed.TotalSeconds:F1} s (2 to warm up, Api 1: {onFirst}, Api 2: {onSecond})");
        Assert.True(onFirst > 0 && onSecond > 0, $"the Apis did not both publish (Api 1: {onFirst}, Api 2: {onSecond})");
        // One bucket, plus what refilled meanwhile; at most one batch per publisher short of it (a batch needing more
        // than is left is refused whole). A bucket per process would let through 2000.
        var refilled = (int)Math.Ceiling(elapsed.TotalSeconds * Rate);
        Assert.InRange(accepted, Bucket - 4 * BatchSize, Bucket + refilled);
        foreach (var refused in results.Select(r => r.Refused))
        {
            var problem = await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
            Assert.Contains($"Webhooks:Limits:PublishPerSecondPerTenant = {Rate}", problem.GetProperty("detail").GetString());
            Assert.True(refused.Headers.RetryAfter?.Delta is { } wait && wait >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        }
    }

    /// <returns>How many events the Api accepted before it refused a batch, and that refusal.</returns>
    private static async Task<(int Accepted, HttpResponseMessage Refused)> PublishUntilRefusedAsync(HttpClient api)
    {
        var batch = Batch(BatchSize);
        for (var accepted = 0; ; accepted += BatchSize)
        {
            var response = await api.PostAsJsonAsync("/v1/events/batch", batch, Ct);
            if (response.StatusCode != HttpStatusCode.Accepted) return (accepted, response);
            Assert.True(accepted < 2 * Bucket, "the publish rate limit never refused a batch");
        }
    }

    private static object Batch(int events) =>
        new { events = Enumerable.Range(0, events).Select(n => new { type = "sale.created", data = new { n } }).ToArray() };
}
