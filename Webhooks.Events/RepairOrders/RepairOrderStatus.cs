using System.Text.Json.Serialization;

namespace Webhooks.Events;

/// <summary>Where a repair order stands. The JSON spellings are part of the contract: they never change.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RepairOrderStatus>))]
public enum RepairOrderStatus
{
    [JsonStringEnumMemberName("received")] Received,
    [JsonStringEnumMemberName("diagnosing")] Diagnosing,
    [JsonStringEnumMemberName("awaiting_parts")] AwaitingParts,
    [JsonStringEnumMemberName("in_repair")] InRepair,
    [JsonStringEnumMemberName("ready_for_pickup")] ReadyForPickup,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}
