using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Api.Auth;
using Webhooks.Core.Secrets;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.ApiKeys;

/// <summary>What time does to keys, on the services' own clock: expiry, throttled last-use stamps, and a revocation
/// reaching another Api process within one poll of its watcher.</summary>
public sealed class ApiKeyLifetimeTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 1, 9, 0, 0, TimeSpan.Zero));

    private Task<TestStack> StartAsync() => TestStack.StartAsync(infrastructure,
        configureServices: services => services.AddSingleton<TimeProvider>(_clock), withDispatcher: false);

    [Fact]
    public async Task An_expired_key_is_refused_with_a_problem_saying_so()
    {
        await using var stack = await StartAsync();
        var tenant = await CreateTenantAsync(stack);
        using var owner = tenant.OwnerClient();
        var created = await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys",
            new { name = "an hour", expiresAt = _clock.GetUtcNow().AddHours(1) }, Ct), HttpStatusCode.Created);
        using var client = stack.CreateClient(created.GetProperty("key").GetString()!);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/webhooks", Ct)).StatusCode);
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/webhooks", Ct)).StatusCode);
        _clock.Advance(TimeSpan.FromMinutes(1));

        var problem = await AssertProblemAsync(await client.GetAsync("/v1/webhooks", Ct), HttpStatusCode.Unauthorized);
        Assert.Contains("expired", problem.GetProperty("detail").GetString());
        // Still listed, so its owner sees what stopped working, and no longer counts as the owner's spare key.
        var keys = await ReadAsync(await owner.GetAsync("/v1/api-keys", Ct), HttpStatusCode.OK);
        Assert.Equal(2, keys.GetProperty("items").GetArrayLength());
        await AssertProblemAsync(await owner.DeleteAsync($"/v1/api-keys/{IssuedWithTheTenant(keys)}", Ct), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Last_use_is_written_at_most_once_a_minute_per_key()
    {
        await using var stack = await StartAsync();
        var tenant = await CreateTenantAsync(stack);
        var (_, memberKey) = await CreateMemberAsync(tenant);
        using var owner = tenant.OwnerClient();
        using var member = stack.CreateClient(memberKey);

        var firstUse = _clock.GetUtcNow();
        await owner.GetAsync("/v1/webhooks", Ct);
        await WhileTimePassesAsync(stack, tenant.OwnerUserId, at => at is not null, "the owner's first use to be recorded");
        Assert.Equal(Micros(firstUse), Micros((await LastUsedAsync(stack, tenant.OwnerUserId))!.Value));

        // A use within the minute is not written: by the time the member's first use (same flush) is, the owner's stamp is unchanged.
        await owner.GetAsync("/v1/webhooks", Ct);
        await member.GetAsync("/v1/webhooks", Ct);
        await WhileTimePassesAsync(stack, await UserIdOfAsync(stack, memberKey), at => at is not null, "the member's use to be recorded");
        Assert.Equal(Micros(firstUse), Micros((await LastUsedAsync(stack, tenant.OwnerUserId))!.Value));

        _clock.Advance(TimeSpan.FromMinutes(1));
        var later = _clock.GetUtcNow();
        await owner.GetAsync("/v1/webhooks", Ct);
        var recorded = await WhileTimePassesAsync(stack, tenant.OwnerUserId, at => at > firstUse, "the owner's later use to be recorded");
        Assert.Equal(Micros(later), Micros(recorded!.Value));

        var listed = await ReadAsync(await owner.GetAsync($"/v1/api-keys?userId={tenant.OwnerUserId}", Ct), HttpStatusCode.OK);
        Assert.Equal(Micros(later), Micros(listed.GetProperty("items")[0].GetProperty("lastUsedAt").GetDateTimeOffset()));
    }

    [Fact]
    public async Task A_key_revoked_on_one_api_process_is_refused_by_another_after_one_poll_of_its_clock()
    {
        await using var stack = await StartAsync();
        await using var other = stack.StartAnotherApi();
        var tenant = await CreateTenantAsync(stack);
        using var owner = tenant.OwnerClient();
        var created = await ReadAsync(await owner.PostAsJsonAsync("/v1/api-keys", new { name = "leaked" }, Ct), HttpStatusCode.Created);
        using var onOther = other.CreateClient();
        onOther.DefaultRequestHeaders.Authorization = new("Bearer", created.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await onOther.GetAsync("/v1/webhooks", Ct)).StatusCode); // now cached there
        Assert.Equal(1, other.Services.GetRequiredService<ApiKeyCache>().Count);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/api-keys/{created.GetProperty("id").GetGuid()}", Ct)).StatusCode);
        // One poll interval of the other process' clock (RevocationWatcher.Interval, 1 s) is enough; the deadline
        // below is only the wait for that poll to run on this busy machine.
        _clock.Advance(RevocationWatcher.Interval);

        await Eventually.True(async () => (await onOther.GetAsync("/v1/webhooks", Ct)).StatusCode == HttpStatusCode.Unauthorized,
            "the other Api process to refuse the revoked key");
        Assert.Equal(0, other.Services.GetRequiredService<ApiKeyCache>().Count);
    }

    /// <summary>Lets the services' clock run (a second per probe) until the user's key shows the stamp wanted.</summary>
    private Task<DateTimeOffset?> WhileTimePassesAsync(TestStack stack, Guid userId, Func<DateTimeOffset?, bool> done, string what) =>
        Eventually.Get(async () =>
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            return await LastUsedAsync(stack, userId);
        }, done, what);

    private static async Task<DateTimeOffset?> LastUsedAsync(TestStack stack, Guid userId)
    {
        await using var db = stack.CreateDbContext();
        return (await db.ApiKeys.Where(k => k.UserId == userId).OrderBy(k => k.Id).FirstAsync(Ct)).LastUsedAt;
    }

    private static async Task<Guid> UserIdOfAsync(TestStack stack, string key)
    {
        await using var db = stack.CreateDbContext();
        var hash = ApiKeyGenerator.Hash(key);
        return (await db.ApiKeys.SingleAsync(k => k.Hash == hash, Ct)).UserId;
    }

    // By name, not by id order: both keys were made in the same millisecond of the frozen clock, and UUIDv7 orders
    // only by millisecond.
    private static Guid IssuedWithTheTenant(System.Text.Json.JsonElement page) => page.GetProperty("items").EnumerateArray()
        .Single(k => k.GetProperty("name").GetString() == "Issued with the tenant").GetProperty("id").GetGuid();

    private static long Micros(DateTimeOffset at) => at.UtcTicks / 10;
}
