using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace Webhooks.Api.Auth;

/// <summary>
/// Keeps <c>api_keys.last_used_at</c> true to within a minute without a write per request: a request only notes the
/// time in memory, at most once a minute per key, and every few seconds the noted times go to Postgres in one UPDATE.
/// </summary>
internal sealed partial class ApiKeyUsage(NpgsqlDataSource database, TimeProvider time, ILogger<ApiKeyUsage> logger) : BackgroundService
{
    /// <summary>How stale <c>lastUsedAt</c> may be, at most, beside the flush interval.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);

    // When each key was last noted, to throttle; pruned at every flush, so it holds only keys used in the last minute.
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _noted = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _pending = new();

    /// <summary>Called for every request a tenant key authenticates; cheap when the key was noted in the last minute.</summary>
    public void Used(Guid keyId)
    {
        var now = time.GetUtcNow();
        if (_noted.TryGetValue(keyId, out var noted) && now - noted < Resolution) return;
        _noted[keyId] = now;
        _pending[keyId] = now;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(FlushInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await FlushAsync(stoppingToken);
        }
        // What the last seconds noted, without holding up shutdown for long if Postgres is gone.
        using var lastChance = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await FlushAsync(lastChance.Token);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        var cutoff = time.GetUtcNow() - Resolution;
        foreach (var (keyId, noted) in _noted)
        {
            if (noted < cutoff) _noted.TryRemove(new KeyValuePair<Guid, DateTimeOffset>(keyId, noted));
        }
        if (_pending.IsEmpty) return;

        var batch = new List<KeyValuePair<Guid, DateTimeOffset>>();
        foreach (var keyId in _pending.Keys)
        {
            if (_pending.TryRemove(keyId, out var usedAt)) batch.Add(new(keyId, usedAt));
        }
        try
        {
            await using var command = database.CreateCommand("""
                UPDATE api_keys SET last_used_at = used.at
                FROM unnest($1, $2) AS used(id, at)
                WHERE api_keys.id = used.id AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < used.at)
                """);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = batch.Select(u => u.Key).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = batch.Select(u => u.Value).ToArray() });
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (Exception e)
        {
            // Try again with the next flush; a newer use noted meanwhile wins.
            foreach (var (keyId, usedAt) in batch) _pending.AddOrUpdate(keyId, usedAt, (_, newer) => newer > usedAt ? newer : usedAt);
            LogFlushFailed(e, batch.Count);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not record when {Count} API keys were last used; trying again shortly")]
    private partial void LogFlushFailed(Exception exception, int count);
}
