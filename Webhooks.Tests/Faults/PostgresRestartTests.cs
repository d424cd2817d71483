using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using Webhooks.Core;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Faults;

[Collection(FaultsCollection.Name)]
public sealed class PostgresRestartTests(AppFixture app)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task While_postgres_is_down_the_api_answers_503_problem_json_and_recovers_by_itself()
    {
        using var admin = app.CreateApiClient(AppFixture.AdminApiKey);
        var tenant = (await (await admin.PostAsJsonAsync("/v1/tenants", new { name = "Faults", owner = new { email = "o@example.com", name = "O" } }, Ct))
            .Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        using var client = app.CreatePlainApiClient((string)tenant["apiKey"]!);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct)).StatusCode);

        await app.CommandAsync(ResourceNames.PostgresServer, "resource-stop");
        await app.WaitStoppedAsync(ResourceNames.PostgresServer);
        try
        {
            var down = await Eventually.Get(
                () => client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { n = 1 } }, Ct),
                r => r.StatusCode != HttpStatusCode.Accepted, "the Api to notice Postgres is gone");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal("application/problem+json", down.Content.Headers.ContentType?.MediaType);
            Assert.True(down.Headers.RetryAfter is not null);
        }
        finally
        {
            await app.StartAsync(ResourceNames.PostgresServer);
        }

        var recovered = await Eventually.Get(
            () => client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { n = 2 } }, Ct),
            r => r.StatusCode == HttpStatusCode.Accepted, "the Api to publish again", TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.Accepted, recovered.StatusCode);
        using var dispatcher = app.App.CreateHttpClient(ResourceNames.Dispatcher);
        await Eventually.True(async () => (await dispatcher.GetAsync("/alive", Ct)).IsSuccessStatusCode, "the Dispatcher to be alive");
    }
}
