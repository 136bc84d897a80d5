using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Latchkey.Server.Storage;

/// <summary>
/// Per-connection SQLite settings (PRAGMAs do not persist in the file). <c>busy_timeout</c> lets SQLite wait for the
/// write lock with its own short back-off instead of failing at once and leaving Microsoft.Data.Sqlite to retry after
/// 150 ms sleeps — that showed up as 600 ms p99s under concurrent writes. <c>synchronous=NORMAL</c> in WAL mode skips the
/// fsync per commit (see <see cref="Hosting.LatchkeyStorageOptions.SqliteRelaxedSync"/>): the commit is in the OS cache, so a
/// killed process loses nothing, and the write lock is held for microseconds instead of a disk flush.
/// The settings belong to SQLite's database handle, which Microsoft.Data.Sqlite's pool keeps across logical opens: they
/// are applied once per handle, not on every open (two statements parsed per open showed up in every request's profile).
/// </summary>
public sealed class SqliteConnectionTuning(bool relaxedSync) : DbConnectionInterceptor
{
    private readonly string _pragmas = relaxedSync
        ? "PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL;"
        : "PRAGMA busy_timeout=5000; PRAGMA synchronous=FULL;";

    private readonly ConditionalWeakTable<object, object> _tuned = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (IsTuned(connection))
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
        MarkTuned(connection);
    }

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default) =>
        ApplyAsync(connection, cancellationToken);

    /// <summary>The same settings on a connection opened outside EF Core (the audit writer's own connection).</summary>
    public async Task ApplyAsync(DbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (IsTuned(connection))
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
        MarkTuned(connection);
    }

    private bool IsTuned(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && _tuned.TryGetValue(handle, out _);

    private void MarkTuned(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            _tuned.AddOrUpdate(handle, handle);
        }
    }
}
