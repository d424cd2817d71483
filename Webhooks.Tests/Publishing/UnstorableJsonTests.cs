using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Webhooks.Api.Features.Events;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Publishing;

/// <summary>
/// JSON that parses but that Postgres cannot store (a lone surrogate escape, NUL, a number beyond numeric) is a 400
/// naming the field, found before the write: a request carrying it fails alone, and the publishes it would have shared
/// a group write with all succeed.
/// </summary>
public sealed class UnstorableJsonTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack _stack = null!;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stack = await TestStack.StartAsync(infrastructure, withDispatcher: false);

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

    /// <summary>Edge cases around numeric's limits (131072 digits before the point, 16383 after) and the escapes.</summary>
    public static TheoryData<string> Values() =>
    [
        "0", "-0", "1.5", "1e200000", "1E200000", "-1e200000", "1e131071", "1e131072", "-1e131071", "123456789e131063",
        "123456789e131064", "1e-16383", "1e-16384", "1.5e-16383", "1.5e-16382", "0e999999", "0e-999999", "0.000e-16380",
        "0.000e-99999", "0e2000000000", "1e+5", "0.00001e131076", "0.00001e131077", "10e131070", "10e131071",
        "0." + new string('0', 16382) + "1", "0." + new string('0', 16383) + "1", "1" + new string('0', 131071), "1" + new string('0', 131072),
        "\"plain\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\\ud800b\"", "\"\\ude00\\ud83d\"", "\"\\u0000\"", "\"x\\u0000\"",
        "\"\\u00e9\"", "\"\\n\\t\\\"\"",
    ];

    [Theory]
    [MemberData(nameof(Values))]
    public async Task The_check_agrees_with_Postgres(string value)
    {
        var json = "{\"v\":" + value + "}";
        var postgresTakesIt = await PostgresStoresAsync(json);

        var problem = StorableJson.FindUnstorable(JsonDocument.Parse(json).RootElement, "data");

        Assert.Equal(postgresTakesIt, problem is null);
        if (problem is var (path, _)) Assert.Equal("data.v", path);
    }

    [Theory]
    [InlineData("""{"a":{"b":[1,2,{"c":"\ud800"}]}}""", "data.a.b[2].c", "surrogate")]
    [InlineData("""{"lines":[{"qty":1},{"qty":1e200000}]}""", "data.lines[1].qty", "numeric")]
    [InlineData("""{"x":[[],[0,"\u0000"]]}""", "data.x[1][1]", "NUL")]
    [InlineData("""{"ok":1,"k\udfff":2}""", "data.k", "property name")]
    public async Task A_single_publish_gets_400_naming_the_path(string data, string field, string why)
    {
        var tenant = await Seed.TenantAsync(_stack);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        using var response = await client.PostAsync("/v1/events",
            new StringContent($$"""{"type":"sale.created","data":{{data}}}""", Encoding.UTF8, "application/json"), Ct);

        var errors = await AssertBadRequestAsync(response);
        var (name, reason) = Assert.Single(errors);
        Assert.StartsWith(field, name);
        Assert.Contains(why, reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_batch_names_the_event_and_the_path()
    {
        var tenant = await Seed.TenantAsync(_stack);
        using var client = _stack.CreateClient(tenant.OwnerApiKey);

        using var response = await client.PostAsync("/v1/events/batch", new StringContent("""
            {"events":[{"type":"sale.created","data":{"a":1}},{"type":"sale.created","data":{"n":{"deep":"\ud800"}}}]}
            """, Encoding.UTF8, "application/json"), Ct);

        var errors = await AssertBadRequestAsync(response);
        Assert.Equal("events[1].data.n.deep", Assert.Single(errors).Name);
    }

    [Fact]
    public async Task Hostile_payloads_fail_alone_while_other_tenants_publish()
    {
        var hostile = await Seed.TenantAsync(_stack, "Hostile");
        var quiet = await Seed.TenantAsync(_stack, "Quiet");
        await Seed.WebhookAsync(_stack, quiet, "https://quiet.example/hook", ["sale.created"]);
        using var hostileClient = _stack.CreateClient(hostile.OwnerApiKey);
        using var quietClient = _stack.CreateClient(quiet.OwnerApiKey);
        string[] bad = ["""{"s":"\ud800"}""", """{"n":1e200000}""", """{"n":-1e-99999}""", """{"s":"\u0000"}""", """{"\udc00":1}"""];

        // Interleaved, so that the hostile requests and the quiet ones queue for the same group writes.
        var hostileCalls = Enumerable.Range(0, 60).Select(i => hostileClient.PostAsync("/v1/events",
            new StringContent($$"""{"type":"sale.created","data":{{bad[i % bad.Length]}}}""", Encoding.UTF8, "application/json"), Ct)).ToList();
        var quietCalls = Enumerable.Range(0, 60).Select(i =>
            quietClient.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { saleId = i } }, Ct)).ToList();
        var hostileAnswers = await Task.WhenAll(hostileCalls);
        var quietAnswers = await Task.WhenAll(quietCalls);

        Assert.All(hostileAnswers, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.All(quietAnswers, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        foreach (var answer in quietAnswers)
        {
            var body = (await answer.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
            Assert.Single(body["deliveries"]!.AsArray());
        }
    }

    private async Task<bool> PostgresStoresAsync(string json)
    {
        await using var connection = new NpgsqlConnection(infrastructure.DatabaseConnectionString(_stack.DatabaseName));
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT $1::jsonb IS NOT NULL", connection) { Parameters = { new() { Value = json } } };
        try
        {
            await command.ExecuteScalarAsync(Ct);
            return true;
        }
        catch (PostgresException e) when (e.SqlState is "22P02" or "22003" or "22P05" or "22021")
        {
            return false;
        }
    }

    /// <summary>The problem's errors as (field, reason) pairs.</summary>
    private async Task<List<(string Name, string Reason)>> AssertBadRequestAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);
        return problem!["errors"]!.AsArray().Select(e => ((string)e!["name"]!, (string)e["reason"]!)).ToList();
    }
}
