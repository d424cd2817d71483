using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Webhooks.Events;

/// <summary>
/// Source-generated JSON for every event record: camelCase names, nulls written as null, enums as their catalog
/// strings. Nullable annotations and required constructor parameters are enforced when reading, and show in the
/// generated schemas (a <c>string?</c> may be null, a parameter without a default is required).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(SaleCreated))]
[JsonSerializable(typeof(SaleUpdated))]
[JsonSerializable(typeof(SaleRefunded))]
[JsonSerializable(typeof(InventoryCreated))]
[JsonSerializable(typeof(InventoryUpdated))]
[JsonSerializable(typeof(InventoryLowStock))]
[JsonSerializable(typeof(CustomerCreated))]
[JsonSerializable(typeof(CustomerUpdated))]
[JsonSerializable(typeof(RepairOrderCreated))]
[JsonSerializable(typeof(RepairOrderStatusChanged))]
[JsonSerializable(typeof(PurchaseOrderCreated))]
[JsonSerializable(typeof(PurchaseOrderReceived))]
[JsonSerializable(typeof(WebhookPing))]
[JsonSerializable(typeof(JsonObject))]
public sealed partial class EventsJsonContext : JsonSerializerContext;
