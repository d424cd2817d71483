using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Features.Shared;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class PagingTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    [Fact]
    public async Task Pages_follow_nextCursor_through_every_webhook_once_newest_first()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++) created.Add((await CreateWebhookAsync(owner, $"https://hooks.example.com/{i}")).GetProperty("id").GetGuid());

        var seen = new List<JsonElement>();
        var sizes = new List<int>();
        string? cursor = null;
        do
        {
            var uri = "/v1/webhooks?limit=2" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            var page = await ReadAsync(await owner.GetAsync(uri, Ct), HttpStatusCode.OK);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            sizes.Add(items.Count);
            seen.AddRange(items);
            cursor = page.GetProperty("nextCursor").GetString();
        } while (cursor is not null);

        Assert.Equal([2, 2, 1], sizes);
        // Newest first: ids are UUIDv7, so id order is creation order (ties within a millisecond broken by the id).
        Assert.Equal(created.OrderDescending(), seen.Select(w => w.GetProperty("id").GetGuid()));
        var createdAts = seen.Select(w => w.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        Assert.Equal(createdAts.OrderDescending(), createdAts);
    }

    [Fact]
    public async Task A_full_last_page_says_there_is_no_more()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        for (var i = 0; i < 2; i++) await CreateWebhookAsync(owner);
        var page = await ReadAsync(await owner.GetAsync("/v1/webhooks?limit=2", Ct), HttpStatusCode.OK);
        Assert.Equal(2, page.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
    }

    [Theory]
    [InlineData("limit=1", HttpStatusCode.OK)]
    [InlineData("limit=500", HttpStatusCode.OK)]
    [InlineData("limit=0", HttpStatusCode.BadRequest, "limit")]
    [InlineData("limit=-1", HttpStatusCode.BadRequest, "limit")]
    [InlineData("limit=501", HttpStatusCode.BadRequest, "limit")]
    [InlineData("limit=ten", HttpStatusCode.BadRequest, "limit")]
    [InlineData("cursor=garbage", HttpStatusCode.BadRequest, "cursor")]
    [InlineData("cursor=AAAAAAAAAAAAAAAAAAAAA%21", HttpStatusCode.BadRequest, "cursor")]
    [InlineData("cursor=", HttpStatusCode.BadRequest, "cursor")]
    public async Task Paging_parameters_are_validated(string query, HttpStatusCode expected, string? field = null)
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var response = await owner.GetAsync($"/v1/webhooks?{query}", Ct);
        if (field is null) await ReadAsync(response, expected);
        else await AssertProblemAsync(response, expected, field);
    }

    [Fact]
    public async Task The_cursor_is_an_id_comparison_in_sql()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var older = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
        var newer = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
        var request = new Webhooks.Api.Features.Webhooks.List.Request { Limit = 10, Cursor = PageCursor.Encode(newer) };
        await using var db = Stack.CreateDbContext();
        var query = db.Webhooks.Where(w => w.TenantId == tenant.TenantId).PageByIdDescending(request, w => w.Id);

        // EF translates Guid.CompareTo(after) < 0 to a plain uuid comparison with the cursor as a parameter, so the
        // page is cut in Postgres and every page shares one SQL text.
        var sql = query.ToQueryString();
        Assert.Contains("w.id < @", sql);
        Assert.Contains("ORDER BY w.id DESC", sql);
        Assert.Contains("LIMIT @", sql);
        var statement = string.Join('\n', sql.Split('\n').Where(line => !line.StartsWith("--")));
        Assert.DoesNotContain(newer.ToString(), statement);

        Assert.Equal([older], (await query.ToListAsync(Ct)).Select(w => w.Id));
    }
}
