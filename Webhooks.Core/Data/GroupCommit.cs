namespace Webhooks.Core.Data;

/// <summary>
/// Group commit: callers hand over items and wait; one writer at a time writes everything that queued up meanwhile in
/// one statement and one commit. An idle writer therefore writes each item at once, alone, and a busy one writes
/// whole groups, instead of paying a transaction, round trips and an fsync per item. Used by publishing (the Api's
/// events) and by attempt recording (the Dispatcher's attempts).
/// </summary>
/// <remarks>
/// <para>Groups are bounded by count and by size (<see cref="CountOf"/>, <see cref="BytesOf"/>), so a shared write stays
/// the size of one big request however big the items are; an item is never split. An item that is big enough to
/// gain nothing from company is written at once, on its own, beside the group writer
/// (<see cref="CommitAloneAsync"/>). The writer runs outside every caller's execution context: it serves many, so it
/// carries no one's trace or cancellation, and one caller giving up never cancels a write others wait for.</para>
/// <para>If the database refuses a group's statement (<see cref="IsRefusal"/>: none of it was committed), each item
/// is written again on its own, so one item's error is never another's. Any other failure fails the whole group:
/// after a lost connection nobody knows whether the commit happened, so it is not retried here.</para>
/// <para>After a commit, <see cref="AfterCommitAsync"/> (say, scheduling in Redis) runs without holding the writer:
/// the next group is written meanwhile, and the group's callers complete once it is done.</para>
/// </remarks>
public abstract class GroupCommit<TItem, TResult>
{
    private readonly int _maxGroupCount;
    private readonly long _maxGroupBytes;
    private readonly Lock _lock = new();
    private readonly Queue<Pending> _waiting = new();
    private bool _started;
    private bool _writing;
    private bool _closed;
    private Task _writer = Task.CompletedTask;

    /// <param name="started">False holds every item until <see cref="Start"/> (a hosted service's start).</param>
    protected GroupCommit(int maxGroupCount, long maxGroupBytes = long.MaxValue, bool started = true)
    {
        _maxGroupCount = maxGroupCount;
        _maxGroupBytes = maxGroupBytes;
        _started = started;
    }

    /// <summary>Writes the items of one group in one statement; returns once it is committed, one result per item.</summary>
    protected abstract Task<IReadOnlyList<TResult>> WriteGroupAsync(IReadOnlyList<TItem> group);

    /// <summary>The database refused the statement itself (none of it committed): worth writing each item alone.</summary>
    protected abstract bool IsRefusal(Exception exception);

    /// <summary>How much of a group's count an item takes (default 1).</summary>
    protected virtual int CountOf(TItem item) => 1;

    /// <summary>How much of a group's size an item takes (default 0: groups bounded by count only).</summary>
    protected virtual long BytesOf(TItem item) => 0;

    /// <summary>Runs after the group's commit, before its callers complete, without holding the writer.</summary>
    protected virtual Task AfterCommitAsync(IReadOnlyList<TItem> group, IReadOnlyList<TResult> results) => Task.CompletedTask;

    /// <summary>A refused group of <paramref name="count"/> items is about to be written item by item.</summary>
    protected virtual void OnSplitting(Exception exception, int count) { }

    /// <summary>What callers of a failed write see (default: the exception itself).</summary>
    protected virtual Exception Failure(Exception exception) => exception;

    /// <summary>Writes the item with whatever else is queued; completes once it is committed (and after-commit done).</summary>
    public Task<TResult> CommitAsync(TItem item)
    {
        var pending = new Pending(item, CountOf(item), BytesOf(item));
        lock (_lock)
        {
            if (_closed) pending.Done.SetException(Failure(new InvalidOperationException("the writer has stopped")));
            else
            {
                _waiting.Enqueue(pending);
                if (_started) StartWriterIfIdle();
            }
        }
        return pending.Done.Task;
    }

    /// <summary>Writes the item on its own, at once, in the caller's context (its trace), beside the group writer.</summary>
    public async Task<TResult> CommitAloneAsync(TItem item)
    {
        var pending = new Pending(item, CountOf(item), BytesOf(item));
        await WriteAsync([pending]);
        return await pending.Done.Task;
    }

    /// <summary>Starts writing what queued before the start.</summary>
    public void Start()
    {
        lock (_lock)
        {
            _started = true;
            if (_waiting.Count > 0) StartWriterIfIdle();
        }
    }

    /// <summary>Takes no more items and completes once every item taken so far is written.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        Task writer;
        lock (_lock)
        {
            _closed = _started = true;
            if (_waiting.Count > 0) StartWriterIfIdle();
            writer = _writing ? _writer : Task.CompletedTask;
        }
        await writer.WaitAsync(ct);
    }

    // Under the lock, so exactly one writer runs and _writer is always the one running.
    private void StartWriterIfIdle()
    {
        if (_writing) return;
        _writing = true;
        using (ExecutionContext.SuppressFlow()) _writer = Task.Run(DrainAsync);
    }

    private async Task DrainAsync()
    {
        while (TakeGroup() is { } group) await WriteAsync(group);
    }

    private List<Pending>? TakeGroup()
    {
        lock (_lock)
        {
            if (_waiting.Count == 0)
            {
                _writing = false;
                return null;
            }
            var group = new List<Pending> { _waiting.Dequeue() };
            var (count, bytes) = (group[0].Count, group[0].Bytes);
            while (_waiting.TryPeek(out var next) && count + next.Count <= _maxGroupCount && bytes + next.Bytes <= _maxGroupBytes)
            {
                group.Add(_waiting.Dequeue());
                (count, bytes) = (count + next.Count, bytes + next.Bytes);
            }
            return group;
        }
    }

    private async Task WriteAsync(List<Pending> group)
    {
        var items = group.ConvertAll(p => p.Item);
        IReadOnlyList<TResult> results;
        try
        {
            results = await WriteGroupAsync(items);
        }
        catch (Exception e) when (group.Count > 1 && IsRefusal(e))
        {
            OnSplitting(e, group.Count);
            foreach (var pending in group) await WriteAsync([pending]);
            return;
        }
        catch (Exception e)
        {
            foreach (var pending in group) pending.Done.TrySetException(Failure(e));
            return;
        }
        _ = FinishAsync(group, items, results);
    }

    private async Task FinishAsync(List<Pending> group, List<TItem> items, IReadOnlyList<TResult> results)
    {
        try
        {
            await AfterCommitAsync(items, results);
            for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(results[i]);
        }
        catch (Exception e)
        {
            foreach (var pending in group) pending.Done.TrySetException(e);
        }
    }

    private sealed record Pending(TItem Item, int Count, long Bytes)
    {
        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
