using Microsoft.Extensions.Caching.Memory;

namespace Webhooks.Api.Auth;

/// <summary>A tenant key as authentication needs it, cached after one lookup in Postgres.</summary>
internal sealed record KnownApiKey(Guid KeyId, Guid UserId, Guid TenantId, bool IsOwner, DateTimeOffset? ExpiresAt);

/// <summary>
/// Known keys by hash, so that the publish path authenticates without a round trip to Postgres. Only keys that exist
/// are cached, and at most <see cref="MaxEntries"/> of them: unknown keys cost no memory however many arrive.
/// An entry is trusted only while <see cref="RevocationWatcher"/> has looked for revocations in the last
/// <see cref="TrustFor"/>; when it cannot (Postgres unreachable, the process starved), every request goes to Postgres
/// instead, so a revoked key is never accepted because of what one process happens to remember.
/// </summary>
internal sealed class ApiKeyCache(TimeProvider time) : IDisposable
{
    public const int MaxEntries = 100_000;

    /// <summary>A revocation reaches every process within this long: one poll interval, plus room for the poll itself.</summary>
    public static readonly TimeSpan TrustFor = TimeSpan.FromSeconds(2);

    // Entries also expire on their own, so that what is cached with a key (its user's role) cannot stay stale for long.
    private static readonly TimeSpan EntryLifetime = TimeSpan.FromMinutes(10);

    private readonly MemoryCache _entries = new(new MemoryCacheOptions { SizeLimit = MaxEntries });
    private long _checkedAtTicks = DateTimeOffset.MinValue.UtcTicks;

    public KnownApiKey? Find(string hash) =>
        IsTrusted() && _entries.TryGetValue(hash, out KnownApiKey? key) ? key : null;

    public void Add(string hash, KnownApiKey key) =>
        _entries.Set(hash, key, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = EntryLifetime });

    public void Remove(string hash) => _entries.Remove(hash);

    /// <summary>How many keys are cached now (for tests of the bound).</summary>
    internal int Count => _entries.Count;

    /// <summary>Called by the watcher after a poll that started at <paramref name="pollStartedAt"/> has evicted every key
    /// revoked before it.</summary>
    public void MarkChecked(DateTimeOffset pollStartedAt) => Interlocked.Exchange(ref _checkedAtTicks, pollStartedAt.UtcTicks);

    private bool IsTrusted() => time.GetUtcNow().UtcTicks - Interlocked.Read(ref _checkedAtTicks) <= TrustFor.Ticks;

    public void Dispose() => _entries.Dispose();
}
