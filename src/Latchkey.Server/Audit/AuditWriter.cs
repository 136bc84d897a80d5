using System.Threading.Channels;
using Latchkey.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Audit;

/// <summary>
/// Group commit: one writer per process takes every append waiting in the queue, chains them and inserts
/// them in ONE transaction under the chain lock, then completes every caller's task. Under load (the token
/// endpoint audits every issuance) many appends share one commit and its fsync; alone, an append costs one
/// small transaction. A caller's task completes only after its batch committed, so nothing acknowledged is
/// lost when the process dies. A batch is written with plain ADO.NET on the writer's own connection
/// (<see cref="AuditEntryStore"/>), not through a DbContext: at token-endpoint rates the EF Core machinery
/// per batch cost more than the chain.
/// </summary>
public sealed partial class AuditWriter(IOptions<LatchkeyOptions> options, AuditChainKeys keys, ILogger<AuditWriter> logger) : IDisposable, IAsyncDisposable
{
    internal const int MaxBatch = 256;
    private const int Attempts = 3;

    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private AuditEntryStore? _store;
    private Task? _loop;

    /// <summary>Queues <paramref name="entry"/> (sequence, previous hash and hash are filled in here) and completes when it is committed.</summary>
    internal Task AppendAsync(AuditEntry entry, CancellationToken ct)
    {
        var pending = new PendingAppend(entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        EnsureStarted();
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(AuditWriter), "The audit log is shutting down.");
        }

        return pending.Committed.Task.WaitAsync(ct);
    }

    private void EnsureStarted()
    {
        if (_loop is not null)
        {
            return;
        }

        lock (_gate)
        {
            // Started on first use rather than as a hosted service: CLI commands never start their host.
            _loop ??= Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        await using var store = _store = new AuditEntryStore(options.Value);
        var batch = new List<PendingAppend>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await WriteWithRetriesAsync(batch);
                foreach (var pending in batch)
                {
                    pending.Committed.TrySetResult();
                }
            }
            catch (Exception e)
            {
                LogBatchFailed(logger, e, batch.Count);
                foreach (var pending in batch)
                {
                    pending.Committed.TrySetException(new AuditLogUnavailableException("The audit entry could not be written.", e));
                }
            }
        }
    }

    private async Task WriteWithRetriesAsync(List<PendingAppend> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteBatchAsync(batch);
                return;
            }
            catch (Exception e) when (attempt < Attempts && e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException)
            {
                // A busy SQLite file or a serialisation conflict: the chain lock makes a retry safe.
                LogRetrying(logger, e, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt));
            }
        }
    }

    private async Task WriteBatchAsync(List<PendingAppend> batch)
    {
        using var activity = Telemetry.LatchkeyMetrics.ActivitySource.StartActivity("audit.commit");
        activity?.SetTag("latchkey.audit.batch_size", batch.Count);
        var store = _store!;
        try
        {
            var (transaction, sequence, previousHash) = await store.BeginAsync();
            await using (transaction)
            {
                var (keyId, key) = keys.Current;
                var entries = new AuditEntry[batch.Count];
                for (var i = 0; i < entries.Length; i++)
                {
                    // A fresh copy per attempt, so a rolled-back attempt leaves no half-chained state behind.
                    var entry = Copy(batch[i].Entry);
                    entry.Sequence = ++sequence;
                    entry.PreviousHash = previousHash;
                    entry.KeyId = keyId;
                    entry.Hash = AuditChain.ComputeHash(entry, key);
                    previousHash = entry.Hash;
                    entries[i] = entry;
                }

                await store.InsertAsync(transaction, entries);
                await transaction.CommitAsync();
            }
        }
        catch
        {
            // The transaction was rolled back (or the connection broke); the retry starts on a fresh connection.
            await store.ResetAsync();
            throw;
        }
    }

    private static AuditEntry Copy(AuditEntry e) => new()
    {
        Time = e.Time,
        Event = e.Event,
        Outcome = e.Outcome,
        ActorId = e.ActorId,
        ActorName = e.ActorName,
        SubjectId = e.SubjectId,
        SubjectName = e.SubjectName,
        App = e.App,
        IpAddress = e.IpAddress,
        UserAgent = e.UserAgent,
        Details = e.Details,
        PreviousHash = AuditChain.Genesis,
        Hash = string.Empty,
        KeyId = string.Empty,
    };

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        // Appends are awaited by their callers, so the queue is normally empty here; the wait only covers
        // an append whose caller stopped waiting (cancelled) while its batch was still being written.
        _loop?.Wait(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop is { } loop)
        {
            await loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private sealed record PendingAppend(AuditEntry Entry, TaskCompletionSource Committed);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Could not write {Count} audit entries.")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Audit write attempt {Attempt} failed; retrying.")]
    private static partial void LogRetrying(ILogger logger, Exception exception, int attempt);
}

/// <summary>The audit log could not record an entry (database unavailable); the audited action should not report success.</summary>
public sealed class AuditLogUnavailableException(string message, Exception inner) : Exception(message, inner);
