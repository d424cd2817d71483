using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Json.Schema;
using Microsoft.EntityFrameworkCore;
using Webhooks.Client;
using Webhooks.Events;
using Webhooks.Tests.Infrastructure;
using Webhooks.Tests.Management;

namespace Webhooks.Tests.Client;

/// <summary>An Api with Webhooks:Events:ValidateSchemas on.</summary>
public sealed class SchemaValidatingStack(InfrastructureFixture infrastructure) : ManagementStack(infrastructure)
{
    protected override IDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Webhooks:Events:ValidateSchemas"] = "true" };
}

/// <summary>The catalog's schemas and examples, and the publish check they drive when it is on.</summary>
public sealed class SchemaValidationTests(SchemaValidatingStack validating, ManagementStack lenient, InfrastructureFixture infrastructure)
    : IClassFixture<SchemaValidatingStack>, IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static async Task<ClientHost> TenantAsync(TestStack stack)
    {
        var tenant = await ManagementApi.CreateTenantAsync(stack);
        var host = ClientHost.Create(stack, tenant.OwnerApiKey);
        await host.Client.CreateWebhookAsync(new NewWebhook("https://hooks.example.com/s", [SaleCreated.Type]), Ct);
        return host;
    }

    private static async Task<int> EventCountAsync(TestStack stack)
    {
        await using var db = stack.CreateDbContext();
        return await db.Events.CountAsync(Ct);
    }

    [Fact]
    public async Task Every_catalog_type_carries_a_schema_and_an_example_that_conforms_to_it()
    {
        using var host = await TenantAsync(lenient.Stack);

        var types = await host.Client.ListEventTypesAsync(Ct);

        Assert.Equal(13, types.Count);
        foreach (var type in types)
        {
            var schema = JsonSchema.Build(type.Schema!.Value, new BuildOptions { SchemaRegistry = new SchemaRegistry() },
                new Uri($"urn:test:{type.Name}"));
            Assert.True(schema.Evaluate(type.Example!.Value).IsValid, $"{type.Name}'s example breaks its schema");
            Assert.Equal("object", type.Schema.Value.GetProperty("type").GetString());
            Assert.Equal(type.Name, type.Schema.Value.GetProperty("title").GetString());
        }
        var sale = types.Single(t => t.Name == SaleCreated.Type).Schema!.Value;
        Assert.Equal("integer", sale.GetProperty("properties").GetProperty("lines").GetProperty("items").GetProperty("properties")
            .GetProperty("quantity").GetProperty("type").GetString());
        Assert.Contains("saleId", sale.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var repair = types.Single(t => t.Name == RepairOrderStatusChanged.Type).Schema!.Value;
        Assert.Contains("awaiting_parts", repair.GetProperty("properties").GetProperty("status").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task With_validation_on_every_example_is_accepted()
    {
        using var host = await TenantAsync(validating.Stack);
        foreach (var definition in EventDefinitions.Publishable)
            await host.Client.PublishAsync(definition.Type, definition.Example, ct: Ct);
        await host.Client.PublishAsync(RepairOrderCreated.Example with { SerialNumber = null, EstimatedCost = null, PromisedAt = null }, ct: Ct);
    }

    [Fact]
    public async Task With_validation_on_data_that_breaks_the_schema_is_refused_naming_each_path()
    {
        using var host = await TenantAsync(validating.Stack);
        var before = await EventCountAsync(validating.Stack);

        var error = await Assert.ThrowsAsync<WebhooksValidationException>(() => host.Client.PublishAsync(SaleCreated.Type,
            Json("""{"saleId":1001,"storeId":"store-1","customerId":null,"lines":[{"sku":"A","name":"A","quantity":"two","unitPrice":1,"lineTotal":2}],"subtotal":2,"tax":0,"total":2,"currency":"USD","paymentMethod":"cash"}"""),
            ct: Ct));

        Assert.Equal(400, error.Status);
        Assert.Contains("data.saleId", error.Errors.Keys);
        Assert.Contains("data.lines[0].quantity", error.Errors.Keys);
        Assert.Contains(error.Errors, e => e.Key == "data" && e.Value.Any(m => m.Contains("completedAt"))); // missing
        Assert.Equal(before, await EventCountAsync(validating.Stack));
    }

    [Fact]
    public async Task With_validation_on_a_bad_event_of_a_batch_is_named_by_its_index_and_nothing_is_stored()
    {
        using var host = await TenantAsync(validating.Stack);
        var before = await EventCountAsync(validating.Stack);
        var bad = Json(JsonSerializer.Serialize(InventoryLowStock.Example, EventsJsonContext.Default.InventoryLowStock).Replace("\"quantityOnHand\":3", "\"quantityOnHand\":3.5"));

        var error = await Assert.ThrowsAsync<WebhooksValidationException>(() => host.Client.PublishBatchAsync(
            [BatchEvent.Of(SaleCreated.Example), new BatchEvent(InventoryLowStock.Type, bad)], Ct));

        Assert.Equal(["events[1].data.quantityOnHand"], error.Errors.Keys);
        Assert.Equal(before, await EventCountAsync(validating.Stack));
    }

    [Fact]
    public async Task With_validation_on_data_over_the_size_limit_gets_the_413_not_a_list_of_schema_problems()
    {
        var tenant = await ManagementApi.CreateTenantAsync(validating.Stack);
        using var client = validating.Stack.CreateClient(tenant.OwnerApiKey);
        var before = await EventCountAsync(validating.Stack);
        var big = new string('x', 300_000); // over MaxPayloadBytes (262144), under the body limit; no field of sale.created

        var response = await client.PostAsJsonAsync("/v1/events", new { type = SaleCreated.Type, data = new { big } }, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Webhooks:Events:MaxPayloadBytes", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(before, await EventCountAsync(validating.Stack));
    }

    [Fact]
    public async Task With_validation_off_any_object_is_accepted()
    {
        using var host = await TenantAsync(lenient.Stack);
        var published = await host.Client.PublishAsync(SaleCreated.Type, Json("""{"saleId":1001,"total":42.5}"""), ct: Ct);
        Assert.Single(published.Deliveries);
    }

    [Fact]
    public async Task A_setting_that_is_not_a_boolean_stops_start_up_naming_the_key()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestStack.StartAsync(infrastructure,
            new Dictionary<string, string?> { ["Webhooks:Events:ValidateSchemas"] = "maybe" }, withDispatcher: false));
        Assert.Contains("Webhooks:Events:ValidateSchemas", error.ToString());
    }
}
