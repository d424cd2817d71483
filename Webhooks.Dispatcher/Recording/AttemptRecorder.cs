using System.Threading.Channels;
using Npgsql;
using Webhooks.Core.Data;
using Webhooks.Dispatcher.Claiming;

namespace Webhooks.Dispatcher.Recording;

/// <summary>
/// Group commit for attempts: workers hand their finished attempts here and wait; one writer records everything that
/// queued up meanwhile in one transaction (<see cref="AttemptBatch"/>). An idle Dispatcher therefore writes each
/// attempt at once, alone, and a busy one writes hundreds per commit instead of paying a transaction, several round
/// trips and an fsync for each.
/// </summary>
/// <remarks>Registered before the delivery loop, so at shutdown it stops after it: the attempts of deliveries the
/// loop drains are still written.</remarks>
internal sealed partial class AttemptRecorder(
    IServiceScopeFactory scopes,
    AttemptBatch recorder,
    DatabaseBackoff databaseBackoff,
    ILogger<AttemptRecorder> logger) : IHostedService
{
    internal const int MaxBatch = 256;

    private readonly Channel<PendingAttempt> _queue = Channel.CreateUnbounded<PendingAttempt>(
        new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Records the attempt with whatever else is queued.</summary>
    /// <exception cref="AttemptNotRecordedException">Postgres refused or failed the write.</exception>
    public Task<AttemptRecord> RecordAsync(AttemptToRecord attempt)
    {
        var pending = new PendingAttempt(attempt, new TaskCompletionSource<AttemptRecord>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            pending.Recorded.SetException(new AttemptNotRecordedException(new InvalidOperationException("the attempt writer has stopped")));
        return pending.Recorded.Task;
    }

    private Task _loop = Task.CompletedTask;

    // Not a BackgroundService: its loop is started with the stopping token, and a stop right after the start would
    // cancel the loop before it ran, leaving queued attempts waiting forever. This loop always runs, and ends when
    // StopAsync completes the queue, after the last attempt queued.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingAttempt>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending)) batch.Add(pending);
            await WriteAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<PendingAttempt> batch)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
            // Not cancelled at shutdown: the POSTs happened, so their records should land if Postgres lets them.
            var records = await recorder.RecordAsync(db, batch.Select(p => p.Attempt).ToList(), CancellationToken.None);
            databaseBackoff.Succeeded();
            for (var i = 0; i < batch.Count; i++) batch[i].Recorded.SetResult(records[i]);
        }
        catch (Exception e) when (batch.Count > 1 && RefusedByPostgres(e))
        {
            // Postgres refused the statement itself (a value it cannot store?): one bad attempt must not sink its
            // neighbours, so each is written on its own and only the culprit fails.
            LogSplitting(e, batch.Count);
            foreach (var pending in batch) await WriteAsync([pending]);
        }
        catch (Exception e)
        {
            // Postgres is unreachable or failing: one backoff step for the batch, not one per attempt in it.
            databaseBackoff.Failed();
            foreach (var pending in batch) pending.Recorded.SetException(new AttemptNotRecordedException(e));
        }
    }

    private static bool RefusedByPostgres(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is PostgresException postgres) return !postgres.IsTransient;
        return false;
    }

    private sealed record PendingAttempt(AttemptToRecord Attempt, TaskCompletionSource<AttemptRecord> Recorded);

    [LoggerMessage(LogLevel.Warning, "Postgres refused a batch of {Count} attempts; writing them one by one")]
    private partial void LogSplitting(Exception exception, int count);
}

/// <summary>An attempt could not be written; its delivery stays in flight until its lease expires, then is retried.</summary>
internal sealed class AttemptNotRecordedException(Exception inner)
    : Exception($"The attempt was not recorded: {inner.Message}", inner);
