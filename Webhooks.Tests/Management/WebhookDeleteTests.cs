using System.Net;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Core.Data.Entities;
using Webhooks.Tests.Infrastructure;
using static Webhooks.Tests.Management.ManagementApi;

namespace Webhooks.Tests.Management;

public sealed class WebhookDeleteTests(ManagementStack fixture) : IClassFixture<ManagementStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestStack Stack => fixture.Stack;

    [Fact]
    public async Task Deleting_hides_the_webhook_but_keeps_its_row()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var id = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();

        var response = await owner.DeleteAsync($"/v1/webhooks/{id}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength ?? 0);

        await AssertProblemAsync(await owner.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.PatchJsonAsync($"/v1/webhooks/{id}", new { active = true }), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.PostAsync($"/v1/webhooks/{id}/rotate-secret", null, Ct), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.DeleteAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.NotFound);
        var page = await ReadAsync(await owner.GetAsync("/v1/webhooks", Ct), HttpStatusCode.OK);
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());

        await using var db = Stack.CreateDbContext();
        var row = await db.Webhooks.SingleAsync(w => w.Id == id, Ct);
        Assert.NotNull(row.DeletedAt);
        Assert.False(row.Active);
    }

    [Fact]
    public async Task Deleting_ends_its_live_deliveries_and_leaves_the_rest()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var doomed = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
        var other = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
        var past = DateTimeOffset.UnixEpoch.AddYears(56); // whole seconds: survives Postgres' microseconds unchanged
        var deliveries = await SeedDeliveriesAsync(tenant.TenantId, past,
            (doomed, DeliveryStatus.Pending), (doomed, DeliveryStatus.Retrying), (doomed, DeliveryStatus.Success),
            (doomed, DeliveryStatus.Failed), (other, DeliveryStatus.Pending), (other, DeliveryStatus.Retrying));

        var before = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/webhooks/{doomed}", Ct)).StatusCode);

        await using var db = Stack.CreateDbContext();
        var rows = await db.Deliveries.Where(d => deliveries.Contains(d.Id)).ToDictionaryAsync(d => d.Id, Ct);
        foreach (var ended in deliveries[..2].Select(id => rows[id]))
        {
            Assert.Equal(DeliveryStatus.Failed, ended.Status);
            Assert.Null(ended.NextAttemptAt);
            Assert.InRange(ended.CompletedAt!.Value, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
            Assert.Equal("webhook deleted", ended.LastError);
        }
        // Finished deliveries keep their outcome; another webhook's live deliveries go on.
        Assert.Equal((DeliveryStatus.Success, past, (string?)null), (rows[deliveries[2]].Status, rows[deliveries[2]].CompletedAt, rows[deliveries[2]].LastError));
        Assert.Equal((DeliveryStatus.Failed, past, (string?)null), (rows[deliveries[3]].Status, rows[deliveries[3]].CompletedAt, rows[deliveries[3]].LastError));
        Assert.All(deliveries[4..].Select(id => rows[id]), d =>
        {
            Assert.Contains(d.Status, new[] { DeliveryStatus.Pending, DeliveryStatus.Retrying });
            Assert.NotNull(d.NextAttemptAt);
            Assert.Null(d.CompletedAt);
        });
    }

    [Fact]
    public async Task Delete_refuses_the_admin_key_and_unknown_keys()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var id = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
        using var admin = Stack.CreateAdminClient();
        await AssertProblemAsync(await admin.DeleteAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.Forbidden);
        using var anonymous = Stack.CreateClient();
        await AssertProblemAsync(await anonymous.DeleteAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.Unauthorized);
        await ReadAsync(await owner.GetAsync($"/v1/webhooks/{id}", Ct), HttpStatusCode.OK);
    }

    /// <summary>One event and a delivery per (webhook, status); a finished one completed at <paramref name="past"/>.</summary>
    [Fact]
    public async Task Deleting_while_a_dispatcher_records_a_failure_of_one_of_its_deliveries_neither_deadlocks_nor_leaves_it_live()
    {
        var tenant = await CreateTenantAsync(Stack);
        using var owner = tenant.OwnerClient();
        var doomed = (await CreateWebhookAsync(owner)).GetProperty("id").GetGuid();
        var past = DateTimeOffset.UnixEpoch.AddYears(56);
        var recorded = (await SeedDeliveriesAsync(tenant.TenantId, past, (doomed, DeliveryStatus.Retrying)))[0];

        // What a Dispatcher's record of a failed attempt does, in this order: the delivery row, then the webhook's count.
        await using var dispatcher = await Stack.DataSource.OpenConnectionAsync(Ct);
        await using var recording = await dispatcher.BeginTransactionAsync(Ct);
        await using (var attempt = new NpgsqlCommand("UPDATE deliveries SET attempt_count = attempt_count + 1 WHERE id = $1", dispatcher, recording)
                     { Parameters = { new() { Value = recorded } } })
            await attempt.ExecuteNonQueryAsync(Ct);

        var deleting = owner.DeleteAsync($"/v1/webhooks/{doomed}", Ct);
        // The delete now waits for the delivery the "Dispatcher" holds.
        await Eventually.True(() => AnyoneWaitsForALockAsync(Stack.DatabaseName), "the delete waits for the recorded delivery");
        await using (var failure = new NpgsqlCommand("UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = $1",
                         dispatcher, recording) { Parameters = { new() { Value = doomed } } })
            await failure.ExecuteNonQueryAsync(Ct); // a deadlock here (or in the delete) is what this test guards against
        await recording.CommitAsync(Ct);

        Assert.Equal(HttpStatusCode.NoContent, (await deleting).StatusCode);
        await using var db = Stack.CreateDbContext();
        var row = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == recorded, Ct);
        Assert.Equal((DeliveryStatus.Failed, "webhook deleted"), (row.Status, row.LastError));
    }

    private async Task<bool> AnyoneWaitsForALockAsync(string database)
    {
        await using var connection = await Stack.DataSource.OpenConnectionAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", connection)
            { Parameters = { new() { Value = database } } };
        return (long)(await command.ExecuteScalarAsync(Ct))! > 0;
    }

    private async Task<Guid[]> SeedDeliveriesAsync(Guid tenantId, DateTimeOffset past, params (Guid Webhook, DeliveryStatus Status)[] wanted)
    {
        await using var db = Stack.CreateDbContext();
        var evt = new Event { Id = Guid.CreateVersion7(), TenantId = tenantId, Type = "sale.created", Payload = "{}", CreatedAt = past };
        db.Events.Add(evt);
        var ids = new List<Guid>();
        foreach (var (webhook, status) in wanted)
        {
            var final = status is DeliveryStatus.Success or DeliveryStatus.Failed;
            var delivery = new global::Webhooks.Core.Data.Entities.Delivery
            {
                Id = Guid.CreateVersion7(), TenantId = tenantId, EventId = evt.Id, WebhookId = webhook, Status = status,
                AttemptCount = status == DeliveryStatus.Pending ? 0 : 1, CreatedAt = past,
                NextAttemptAt = final ? null : DateTimeOffset.UtcNow.AddMinutes(1), CompletedAt = final ? past : null,
            };
            db.Deliveries.Add(delivery);
            ids.Add(delivery.Id);
        }
        await db.SaveChangesAsync(Ct);
        return [.. ids];
    }
}
