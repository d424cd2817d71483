using Npgsql;
using NpgsqlTypes;

namespace Webhooks.Api.Auth;

/// <summary>
/// Each second, asks Postgres for the keys revoked since the last look and drops them from this process'
/// <see cref="ApiKeyCache"/>. Every Api process does the same, so a key revoked through any of them is refused by all
/// within <see cref="ApiKeyCache.TrustFor"/>, with no message bus that could be down; the cost is one indexed query
/// a second per process, which usually returns nothing.
/// </summary>
internal sealed partial class RevocationWatcher(
    NpgsqlDataSource database, ApiKeyCache cache, TimeProvider time, ILogger<RevocationWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Each poll looks this far behind the newest revocation it has seen. Revocation times come from the clocks of the
    /// Api processes that revoked, and a transaction may commit after a later one: the overlap absorbs both (up to a
    /// minute), and it also evicts again a key whose lookup raced its revocation and was cached after the first eviction.
    /// </summary>
    private static readonly TimeSpan Overlap = TimeSpan.FromMinutes(1);

    private DateTimeOffset? _newestSeen;
    private bool _started;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var startedAt = time.GetUtcNow();
            try
            {
                await PollAsync(stoppingToken);
                cache.MarkChecked(startedAt);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The cache stops being trusted on its own (see ApiKeyCache.TrustFor): requests go to Postgres meanwhile.
                LogPollFailed(e);
            }
            try
            {
                // Polls start a second apart however long each took, so a slow one does not let the cache's trust lapse.
                var wait = Interval - (time.GetUtcNow() - startedAt);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        if (!_started)
        {
            // Nothing is cached yet, so older revocations do not matter: start from the newest.
            await using var newest = new NpgsqlCommand("SELECT max(revoked_at) FROM api_keys", connection);
            _newestSeen = await newest.ExecuteScalarAsync(ct) is DateTime at ? new DateTimeOffset(at) : null;
            _started = true;
        }
        await using var command = new NpgsqlCommand("SELECT hash, revoked_at FROM api_keys WHERE revoked_at > $1", connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (_newestSeen ?? DateTimeOffset.UnixEpoch) - Overlap });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            cache.Remove(Convert.ToHexString(reader.GetFieldValue<byte[]>(0)));
            var revokedAt = reader.GetFieldValue<DateTimeOffset>(1);
            if (_newestSeen is null || revokedAt > _newestSeen) _newestSeen = revokedAt;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not check for revoked API keys; until a check succeeds every request looks its key up in Postgres")]
    private partial void LogPollFailed(Exception exception);
}
