using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Hostile;

/// <summary>
/// Hundreds of generated bad requests across every route: each must get a 4xx problem+json (never a 5xx) and
/// write nothing.
/// </summary>
public sealed class HostileInputTests(InfrastructureFixture infrastructure, ITestOutputHelper output)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_bad_request_gets_a_4xx_problem_json_and_writes_nothing()
    {
        await using var stack = await TestStack.StartAsync(infrastructure,
            new Dictionary<string, string?> { ["Webhooks:Delivery:AllowPrivateNetworks"] = "false" }, withDispatcher: false);
        var tenant = await Seed.TenantAsync(stack);
        var member = await Seed.UserAsync(stack, tenant);
        var own = await Seed.WebhookAsync(stack, tenant, "https://a.example/hook", ["sale.created"]);
        var other = await Seed.TenantAsync(stack, "Other");
        var foreign = await Seed.WebhookAsync(stack, other, "https://b.example/hook", ["sale.created"]);
        using (var otherClient = stack.CreateClient(other.OwnerApiKey))
        {
            await otherClient.PostAsJsonAsync("/v1/events", new { type = "sale.created", data = new { } }, Ct);
        }
        var foreignDelivery = await ForeignDeliveryAsync(stack, other.TenantId);
        var keys = new KeyIds(await OnlyKeyAsync(stack, tenant.OwnerUserId), await OnlyKeyAsync(stack, other.OwnerUserId), tenant.OwnerUserId,
            other.OwnerUserId);

        var requests = Generate(own.WebhookId, foreign.WebhookId, foreignDelivery, keys).ToList();
        var before = await SnapshotAsync(stack);

        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        foreach (var (request, key) in requests)
        {
            var apiKey = key switch { Caller.Owner => tenant.OwnerApiKey, Caller.Member => member.ApiKey, Caller.Admin => TestStack.AdminApiKey, _ => null };
            using var client = apiKey is null ? stack.CreateClient() : stack.CreateClient(apiKey);
            using var message = request.ToMessage();
            using var response = await client.SendAsync(message, Ct);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (status is < 400 or > 499) failures.Add($"{request} as {key} → {status}: {Truncate(await response.Content.ReadAsStringAsync(Ct))}");
            else if (mediaType != "application/problem+json") failures.Add($"{request} as {key} → {status} with {mediaType ?? "no content type"}");
        }
        var after = await SnapshotAsync(stack);

        output.WriteLine($"{requests.Count} bad requests; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.True(requests.Count >= 200, $"only {requests.Count} requests generated");
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests.Count} bad requests were mishandled:\n{string.Join("\n", failures.Take(40))}");
        Assert.Equal(before, after);
    }

    private enum Caller { Anonymous, Owner, Member, Admin }

    /// <param name="OwnersOnlyKey">The owner's one key, which may not be revoked (409).</param>
    private sealed record KeyIds(Guid OwnersOnlyKey, Guid ForeignKey, Guid OwnerUserId, Guid ForeignUserId);

    private static IEnumerable<(BadRequest, Caller)> Generate(Guid ownWebhook, Guid foreignWebhook, Guid foreignDelivery, KeyIds keys)
    {
        var post = HttpMethod.Post;
        (string Path, Dictionary<string, string> Fields, Caller Caller, string[] ValidSubstitutes)[] jsonRoutes =
        [
            ("/v1/tenants", new() { ["name"] = "\"Acme\"", ["owner"] = """{"email":"o@example.com","name":"O"}""" }, Caller.Admin, []),
            ("/v1/users", new() { ["email"] = "\"u@example.com\"", ["name"] = "\"U\"" }, Caller.Owner, []),
            ("/v1/webhooks", new() { ["url"] = "\"https://c.example/hook\"", ["events"] = """["sale.created"]""", ["description"] = "\"d\"" }, Caller.Owner,
                ["null", "\"\""]),
            ("/v1/events", new() { ["type"] = "\"sale.created\"", ["data"] = "{\"a\":1}" }, Caller.Owner, ["{}"]),
            ("/v1/events/batch", new() { ["events"] = """[{"type":"sale.created","data":{}}]""" }, Caller.Owner, []),
            ($"/v1/webhooks/{ownWebhook}/recover", new() { ["since"] = "\"2030-01-01T00:00:00Z\"" }, Caller.Owner, []),
            ($"/v1/webhooks/{ownWebhook}/rotate-secret", new() { ["graceSeconds"] = "60" }, Caller.Owner, ["null", "42"]),
            ("/v1/portal-links/redeem", new() { ["token"] = "\"whpl_unknown\"" }, Caller.Anonymous, []),
            ("/v1/api-keys", new() { ["name"] = "\"ci\"", ["expiresAt"] = "\"2099-01-01T00:00:00Z\"", ["userId"] = $"\"{keys.OwnerUserId}\"" },
                Caller.Owner, ["expiresAt=null", "userId=null"]),
        ];

        foreach (var (path, fields, caller, validSubstitutes) in jsonRoutes)
        {
            foreach (var (label, body) in BadRequests.BrokenBodies())
            {
                // rotate-secret's body is optional and unknown fields are ignored, so only JSON that cannot be parsed is bad there.
                if (path.EndsWith("rotate-secret") && label is "empty" or "null" or "lone surrogate" or "invalid UTF-8" or "wrong content type"
                        or "form body" or "control characters" or "NUL inside data") continue;
                yield return (new BadRequest(label, post, path, body), caller);
            }
            foreach (var (label, json) in BadRequests.WrongFields(fields))
            {
                if (validSubstitutes.Any(v => v.Contains('=') ? label == v : label.EndsWith("=" + v, StringComparison.Ordinal))) continue;
                yield return (new BadRequest(label, post, path, Json(json)), caller);
            }
        }

        // PATCH: a handful of wrong shapes (absent fields are valid there, so the generic generator does not apply).
        foreach (var json in new[] { """{"url":42}""", """{"url":"ftp://x.example"}""", """{"url":"http://127.0.0.1/"}""", """{"events":[]}""",
                     """{"events":["nope"]}""", """{"events":"sale.created"}""", """{"active":"yes"}""", """{"description":""" + "\"" + new string('d', 501) + "\"}",
                     """{"url":"https://user:pass@x.example/"}""", "[", "" })
        {
            yield return (new BadRequest("patch " + (json.Length > 30 ? json[..30] : json), HttpMethod.Patch, $"/v1/webhooks/{ownWebhook}", Json(json)), Caller.Owner);
        }

        // Ids: malformed, unknown, and another tenant's.
        foreach (var id in BadRequests.BadIds.Append(foreignWebhook.ToString()))
        {
            yield return (new BadRequest("id", HttpMethod.Get, $"/v1/webhooks/{id}"), Caller.Owner);
            yield return (new BadRequest("id", HttpMethod.Patch, $"/v1/webhooks/{id}", Json("""{"description":"x"}""")), Caller.Owner);
            yield return (new BadRequest("id", HttpMethod.Delete, $"/v1/webhooks/{id}"), Caller.Owner);
            yield return (new BadRequest("id", post, $"/v1/webhooks/{id}/ping"), Caller.Owner);
            yield return (new BadRequest("id", post, $"/v1/webhooks/{id}/rotate-secret", Json("{}")), Caller.Owner);
            yield return (new BadRequest("id", post, $"/v1/webhooks/{id}/recover", Json("""{"since":"2020-01-01T00:00:00Z"}""")), Caller.Owner);
            yield return (new BadRequest("id", HttpMethod.Get, $"/v1/events/{id}"), Caller.Owner);
            yield return (new BadRequest("id", HttpMethod.Get, $"/v1/deliveries/{id}"), Caller.Owner);
            yield return (new BadRequest("id", post, $"/v1/deliveries/{id}/retry"), Caller.Owner);
            yield return (new BadRequest("id", post, $"/v1/notifications/{id}/read"), Caller.Owner);
            yield return (new BadRequest("id", HttpMethod.Get, $"/v1/webhooks/{id}/stats"), Caller.Owner);
            yield return (new BadRequest("id", HttpMethod.Delete, $"/v1/api-keys/{id}"), Caller.Owner);
        }
        yield return (new BadRequest("foreign API key", HttpMethod.Delete, $"/v1/api-keys/{keys.ForeignKey}"), Caller.Owner);
        yield return (new BadRequest("owner's key by a member", HttpMethod.Delete, $"/v1/api-keys/{keys.OwnersOnlyKey}"), Caller.Member);
        yield return (new BadRequest("owner's last key", HttpMethod.Delete, $"/v1/api-keys/{keys.OwnersOnlyKey}"), Caller.Owner);
        yield return (new BadRequest("member issues a key for the owner", post, "/v1/api-keys", Json($$"""{"name":"x","userId":"{{keys.OwnerUserId}}"}""")), Caller.Member);
        yield return (new BadRequest("key for a stranger", post, "/v1/api-keys", Json($$"""{"name":"x","userId":"{{Guid.NewGuid()}}"}""")), Caller.Owner);
        yield return (new BadRequest("key for another tenant's user", post, "/v1/api-keys", Json($$"""{"name":"x","userId":"{{keys.ForeignUserId}}"}""")), Caller.Owner);
        yield return (new BadRequest("expired at birth", post, "/v1/api-keys", Json("""{"name":"x","expiresAt":"2000-01-01T00:00:00Z"}""")), Caller.Owner);
        yield return (new BadRequest("expiry not a time", post, "/v1/api-keys", Json("""{"name":"x","expiresAt":"not a time"}""")), Caller.Owner);
        yield return (new BadRequest("admin issues a key", post, "/v1/api-keys", Json("""{"name":"x"}""")), Caller.Admin);
        yield return (new BadRequest("foreign delivery", HttpMethod.Get, $"/v1/deliveries/{foreignDelivery}"), Caller.Owner);
        yield return (new BadRequest("foreign delivery", post, $"/v1/deliveries/{foreignDelivery}/retry"), Caller.Owner);

        // List queries.
        foreach (var list in new[] { "/v1/webhooks", "/v1/deliveries", "/v1/notifications", "/v1/users", "/v1/api-keys" })
        {
            foreach (var query in BadRequests.BadListQueries) yield return (new BadRequest("query", HttpMethod.Get, list + query), Caller.Owner);
        }
        foreach (var query in new[] { "?status=", "?status=exploded", "?status=0", "?since=2020-13-45", "?webhookId=zzz", "?eventId=1", "?until=soon",
                     "?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z", "?eventType=" + new string('e', 101) })
        {
            yield return (new BadRequest("filter", HttpMethod.Get, "/v1/deliveries" + query), Caller.Owner);
        }
        foreach (var query in new[] { "?userId=nope", "?userId=1", "?userId=%00" })
        {
            yield return (new BadRequest("filter", HttpMethod.Get, "/v1/api-keys" + query), Caller.Owner);
        }
        yield return (new BadRequest("member lists the owner's keys", HttpMethod.Get, $"/v1/api-keys?userId={keys.OwnerUserId}"), Caller.Member);

        // Authentication and authorization.
        foreach (var (label, apply) in BadRequests.BadAuth)
        {
            yield return (new BadRequest(label, HttpMethod.Get, "/v1/webhooks", Headers: apply), Caller.Anonymous);
            yield return (new BadRequest(label, post, "/v1/events", Json("""{"type":"sale.created","data":{}}"""), apply), Caller.Anonymous);
            yield return (new BadRequest(label, post, "/v1/tenants", Json("""{"name":"A","owner":{"email":"a@example.com","name":"A"}}"""), apply), Caller.Anonymous);
            yield return (new BadRequest(label, post, "/v1/api-keys", Json("""{"name":"A"}"""), apply), Caller.Anonymous);
            yield return (new BadRequest(label, HttpMethod.Delete, $"/v1/api-keys/{keys.OwnersOnlyKey}", Headers: apply), Caller.Anonymous);
        }
        yield return (new BadRequest("member creates user", post, "/v1/users", Json("""{"email":"m@example.com","name":"M"}""")), Caller.Member);
        yield return (new BadRequest("tenant creates tenant", post, "/v1/tenants", Json("""{"name":"A","owner":{"email":"a@example.com","name":"A"}}""")), Caller.Owner);
        yield return (new BadRequest("admin publishes", post, "/v1/events", Json("""{"type":"sale.created","data":{}}""")), Caller.Admin);
        yield return (new BadRequest("member lists users", HttpMethod.Get, "/v1/users"), Caller.Member);
        yield return (new BadRequest("stats over too long", HttpMethod.Get, $"/v1/webhooks/{ownWebhook}/stats?hours=1000"), Caller.Owner);
        yield return (new BadRequest("admin opens a portal session", post, "/v1/portal-sessions"), Caller.Admin);
        yield return (new BadRequest("api key has no current session", HttpMethod.Delete, "/v1/portal-sessions/current"), Caller.Owner);
        yield return (new BadRequest("anonymous portal link", post, "/v1/portal-links"), Caller.Anonymous);

        // Header abuse and wrong methods.
        yield return (new BadRequest("huge idempotency key", post, "/v1/events", Json("""{"type":"sale.created","data":{}}"""),
            h => h.TryAddWithoutValidation("Idempotency-Key", new string('k', 4000))), Caller.Owner);
        yield return (new BadRequest("control char idempotency key", post, "/v1/events", Json("""{"type":"sale.created","data":{}}"""),
            h => h.TryAddWithoutValidation("Idempotency-Key", "a\tb")), Caller.Owner);
        foreach (var (method, path) in new[] { (HttpMethod.Put, "/v1/events"), (HttpMethod.Delete, "/v1/events"), (HttpMethod.Get, "/v1/events/batch"),
                     (HttpMethod.Put, $"/v1/webhooks/{ownWebhook}"), (HttpMethod.Get, "/v1/tenants"), (HttpMethod.Post, "/v1/event-types"), (HttpMethod.Get, "/v2/events"),
                     (HttpMethod.Put, "/v1/api-keys"), (HttpMethod.Get, $"/v1/api-keys/{keys.OwnersOnlyKey}"), (HttpMethod.Patch, $"/v1/api-keys/{keys.OwnersOnlyKey}") })
        {
            yield return (new BadRequest("wrong method or route", method, path, method == HttpMethod.Get ? null : Json("{}")), Caller.Owner);
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private async Task<Guid> OnlyKeyAsync(TestStack stack, Guid userId)
    {
        await using var db = stack.CreateDbContext();
        return await db.ApiKeys.Where(k => k.UserId == userId).Select(k => k.Id).SingleAsync(Ct);
    }

    private async Task<Guid> ForeignDeliveryAsync(TestStack stack, Guid otherTenant)
    {
        await using var db = stack.CreateDbContext();
        return await db.Deliveries.Where(d => d.TenantId == otherTenant).Select(d => d.Id).FirstAsync(Ct);
    }

    /// <summary>Row counts of every table, plus the latest webhook change, so any write shows up.</summary>
    private async Task<string> SnapshotAsync(TestStack stack)
    {
        await using var db = stack.CreateDbContext();
        return JsonSerializer(new JsonObject
        {
            ["tenants"] = await db.Tenants.CountAsync(Ct),
            ["users"] = await db.Users.CountAsync(Ct),
            ["apiKeys"] = await db.ApiKeys.CountAsync(Ct),
            ["apiKeysRevoked"] = await db.ApiKeys.CountAsync(k => k.RevokedAt != null, Ct),
            ["webhooks"] = await db.Webhooks.CountAsync(Ct),
            ["webhooksUpdated"] = (await db.Webhooks.MaxAsync(w => (DateTimeOffset?)w.UpdatedAt, Ct))?.ToString("O"),
            ["secrets"] = string.Join(",", await db.Webhooks.OrderBy(w => w.Id).Select(w => w.SecretCiphertext.Length + ":" + (w.PreviousSecretCiphertext == null)).ToListAsync(Ct)),
            ["events"] = await db.Events.CountAsync(Ct),
            ["deliveries"] = await db.Deliveries.CountAsync(Ct),
            ["liveDeliveries"] = await db.Deliveries.CountAsync(d => d.NextAttemptAt != null, Ct),
            ["notificationsRead"] = await db.Notifications.CountAsync(n => n.ReadAt != null, Ct),
            ["portalLinks"] = await db.PortalLinks.CountAsync(Ct),
            ["portalSessions"] = await db.PortalSessions.CountAsync(Ct),
        });
    }

    private static string JsonSerializer(JsonObject o) => o.ToJsonString();
}
