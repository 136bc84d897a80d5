namespace Latchkey.Server.Audit;

/// <summary>The tamper-evident audit log (see <c>docs/audit.md</c>).</summary>
public interface IAuditLog
{
    /// <summary>
    /// Appends <paramref name="record"/> to the hash chain and returns once it is committed to the
    /// database (a crash afterwards loses nothing). Concurrent appends, also from other nodes, are
    /// serialised; appends of one process are grouped into one transaction.
    /// Cancelling stops the wait, not the write.
    /// Call it after your own transaction has committed: the entry is written in a transaction of its own,
    /// and on SQLite a caller still holding the database's write lock would wait on itself until the busy timeout.
    /// </summary>
    Task AppendAsync(AuditRecord record, CancellationToken ct = default);
}
