using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Security;

public sealed class SecretsStayOutOfLogsTests(InfrastructureFixture infrastructure)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_secret_api_key_or_signature_reaches_the_logs_or_any_list_response()
    {
        var logs = new CapturedLogs();
        await using var receiver = await TestReceiver.StartAsync();
        await using var stack = await TestStack.StartAsync(infrastructure,
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace" },
            services => services.AddSingleton<ILoggerProvider>(logs));

        using var admin = stack.CreateAdminClient();
        var tenant = await (await admin.PostAsJsonAsync("/v1/tenants",
            new { name = "Secretive", owner = new { email = "o@secretive.example", name = "O" } }, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        var apiKey = (string)tenant!["apiKey"]!;
        using var client = stack.CreateClient(apiKey);
        var webhook = await (await client.PostAsJsonAsync("/v1/webhooks", new { url = receiver.Url("/s"), events = new[] { "sale.created" } }, Ct))
            .Content.ReadFromJsonAsync<JsonObject>(Ct);
        var secret = (string)webhook!["secret"]!;
        var rotated = (string)(await (await client.PostAsync($"/v1/webhooks/{webhook["id"]}/rotate-secret", null, Ct))
            .Content.ReadFromJsonAsync<JsonObject>(Ct))!["secret"]!;
        await client.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { n = 1 } }, Ct);
        await Eventually.True(() => Task.FromResult(receiver.Received.Count >= 1), "the delivery to arrive");
        var request = receiver.Received.First();
        await Eventually.True(async () => (await client.GetStringAsync("/v1/deliveries?status=success", Ct)).Contains("\"success\""),
            "the attempt to be recorded");
        // A wrong key is logged as a failed authentication, never echoed.
        using var wrong = stack.CreateClient("whk_wrong-key-that-must-not-be-logged-0000000000");
        await wrong.GetAsync("/v1/webhooks", Ct);

        var lists = string.Concat(await client.GetStringAsync("/v1/webhooks", Ct), await client.GetStringAsync($"/v1/webhooks/{webhook["id"]}", Ct),
            await client.GetStringAsync("/v1/deliveries", Ct),
            await client.GetStringAsync($"/v1/deliveries/{(await client.GetFromJsonAsync<JsonObject>("/v1/deliveries", Ct))!["items"]![0]!["id"]}", Ct));
        string[] forbidden =
        [
            secret, secret["whsec_".Length..], rotated, rotated["whsec_".Length..], apiKey, TestStack.AdminApiKey,
            "whk_wrong-key-that-must-not-be-logged", request.Headers["X-Webhook-Signature"], request.Headers["webhook-signature"].Split(' ')[0][3..],
        ];
        Assert.True(logs.Entries.Count > 20, "the test should have captured the services' logs");
        foreach (var value in forbidden)
        {
            Assert.DoesNotContain(logs.Entries, entry => entry.Contains(value, StringComparison.Ordinal));
            Assert.DoesNotContain(value, lists);
        }
    }
}
