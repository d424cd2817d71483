using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Webhooks.Core.Data.Entities;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Publishing;

internal static class PublishingTestData
{
    public static async Task<JsonObject> PublishAsync(HttpClient client, string type, object data)
    {
        var response = await client.PostAsJsonAsync("/v1/events", new { type, data }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Sets a delivery's state as the Dispatcher would have left it.</summary>
    public static async Task SetStateAsync(TestStack stack, Guid deliveryId, DeliveryStatus status, int attempts, DateTimeOffset? createdAt = null)
    {
        await using var db = stack.CreateDbContext();
        var delivery = await db.Deliveries.FindAsync([deliveryId], TestContext.Current.CancellationToken);
        delivery!.Status = status;
        delivery.AttemptCount = attempts;
        var final = status is DeliveryStatus.Success or DeliveryStatus.Failed;
        delivery.NextAttemptAt = final ? null : delivery.NextAttemptAt;
        delivery.CompletedAt = final ? DateTimeOffset.UtcNow : null;
        if (createdAt is not null) delivery.CreatedAt = createdAt.Value;
        for (var n = 1; n <= attempts; n++)
        {
            db.DeliveryAttempts.Add(new DeliveryAttempt
            {
                Id = Guid.CreateVersion7(), DeliveryId = deliveryId, Number = n, StartedAt = DateTimeOffset.UtcNow, DurationMs = 12 * n,
                RequestHeaders = new() { ["webhook-id"] = deliveryId.ToString() },
                ResponseStatus = n == attempts && status == DeliveryStatus.Success ? 200 : 500,
                ResponseHeaders = new() { ["content-type"] = "text/plain" },
                ResponseBody = $"answer {n}",
            });
        }
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }
}
