using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;

namespace Webhooks.Api.Features.Webhooks.Stats;

/// <summary>
/// Aggregates over a webhook's attempts in a time window, in SQL (percentiles need the whole set).
/// Attempt ids are UUIDv7 of their start time, so the window is also a range of the attempts' primary key; that lets
/// Postgres choose between reading the window's attempts and reading the webhook's deliveries.
/// </summary>
// REVIEW: computed on each request from the attempts themselves. Fine for the portal's one chart per page view; a very
// busy endpoint (millions of attempts a day) would want an hourly rollup written by the Dispatcher instead.
internal static class AttemptStats
{
    public sealed record Row(int Index, int Attempts, int Succeeded, double? P50, double? P95);

    public static Task<List<Row>> ByBucketAsync(WebhooksDbContext db, Guid tenantId, Guid webhookId,
        DateTimeOffset from, DateTimeOffset until, TimeSpan bucket, CancellationToken ct)
    {
        var firstId = FirstIdAt(from);
        var bucketMs = (long)bucket.TotalMilliseconds;
        return db.Database.SqlQuery<Row>($"""
            SELECT (floor(extract(epoch FROM a.started_at - {from}) * 1000 / {bucketMs}))::int AS "index",
                   count(*)::int AS attempts,
                   (count(*) FILTER (WHERE a.response_status BETWEEN 200 AND 299))::int AS succeeded,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY a.duration_ms) AS p50,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms) AS p95
            FROM delivery_attempts a
            JOIN deliveries d ON d.id = a.delivery_id
            WHERE d.webhook_id = {webhookId} AND d.tenant_id = {tenantId}
              AND a.id >= {firstId} AND a.started_at >= {from} AND a.started_at < {until}
            GROUP BY 1
            """).ToListAsync(ct);
    }

    /// <summary>The whole window as one bucket (a row of zeros when it holds no attempt).</summary>
    public static async Task<Row> WholeAsync(WebhooksDbContext db, Guid tenantId, Guid webhookId,
        DateTimeOffset from, DateTimeOffset until, CancellationToken ct) =>
        (await ByBucketAsync(db, tenantId, webhookId, from, until, until - from, ct)).SingleOrDefault()
        ?? new Row(0, 0, 0, null, null);

    /// <summary>The smallest UUIDv7 of the millisecond before <paramref name="time"/>: every attempt started at or
    /// after it has an id at least this (the millisecond of slack covers ids cut from a time with sub-ms ticks).</summary>
    internal static Guid FirstIdAt(DateTimeOffset time)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = time.ToUnixTimeMilliseconds() - 1;
        for (var i = 0; i < 6; i++) bytes[i] = (byte)(ms >> (8 * (5 - i)));
        bytes[6] = 0x70; // version 7
        bytes[8] = 0x80; // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }
}
