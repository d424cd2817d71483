using Npgsql;
using Webhooks.Core.Data;

namespace Webhooks.Dispatcher.Recording;

/// <summary>
/// Where workers hand their finished attempts and wait: by group commit (<see cref="GroupCommit{TItem, TResult}"/>),
/// one writer records everything that queued up meanwhile in one transaction (<see cref="AttemptBatch"/>). An idle
/// Dispatcher therefore writes each attempt at once, alone, and a busy one writes hundreds per commit instead of paying
/// a transaction, several round trips and an fsync for each.
/// </summary>
/// <remarks>A hosted service registered before the delivery loop, so at shutdown it stops after it: the attempts of
/// deliveries the loop drains are still written, and only then does it refuse more.</remarks>
internal sealed partial class AttemptRecorder(
    IServiceScopeFactory scopes,
    AttemptBatch batch,
    ILogger<AttemptRecorder> logger) : GroupCommit<AttemptToRecord, AttemptRecord>(MaxBatch, started: false), IHostedService
{
    internal const int MaxBatch = 256;

    /// <summary>Records the attempt with whatever else is queued.</summary>
    /// <exception cref="AttemptNotRecordedException">Postgres refused or failed the write, or the recorder has stopped.</exception>
    public Task<AttemptRecord> RecordAsync(AttemptToRecord attempt) => CommitAsync(attempt);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => CompleteAsync(cancellationToken);

    protected override async Task<IReadOnlyList<AttemptRecord>> WriteGroupAsync(IReadOnlyList<AttemptToRecord> group)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        // Not cancelled at shutdown: the POSTs happened, so their records should land if Postgres lets them.
        return await batch.RecordAsync(db, group, CancellationToken.None);
    }

    // Postgres refused the statement itself (a value it cannot store?): one bad attempt must not sink its neighbours.
    protected override bool IsRefusal(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
            if (inner is PostgresException postgres) return !postgres.IsTransient;
        return false;
    }

    protected override void OnSplitting(Exception exception, int count) => LogSplitting(exception, count);

    protected override Exception Failure(Exception exception) => new AttemptNotRecordedException(exception);

    [LoggerMessage(LogLevel.Warning, "Postgres refused a batch of {Count} attempts; writing them one by one")]
    private partial void LogSplitting(Exception exception, int count);
}

/// <summary>An attempt could not be written; its delivery stays in flight until its lease expires, then is retried.</summary>
internal sealed class AttemptNotRecordedException(Exception inner)
    : Exception($"The attempt was not recorded: {inner.Message}", inner);
