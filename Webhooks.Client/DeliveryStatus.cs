using System.Text.Json.Serialization;

namespace Webhooks.Client;

/// <summary>pending → success, or pending → retrying → … → success | failed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliveryStatus>))]
public enum DeliveryStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("retrying")] Retrying,
    [JsonStringEnumMemberName("success")] Success,
    [JsonStringEnumMemberName("failed")] Failed,
}
