using System.Data;
using System.Data.Common;
using Latchkey.Server.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Latchkey.Server.Audit;

/// <summary>The one lock that guards the chain head, on every provider and across nodes.</summary>
internal static class AuditChainLock
{
    /// <summary>The advisory lock id that serialises chain heads across PostgreSQL nodes ("LKAUDIT1").</summary>
    public const long PostgreSqlLockId = 0x4C4B_4155_4449_5431;

    private static readonly string PostgreSqlLock = $"SELECT pg_advisory_xact_lock({PostgreSqlLockId})";

    /// <summary>
    /// Begins a transaction that holds the chain lock until it ends. SQLite: the transaction starts with
    /// BEGIN IMMEDIATE, taking the file's write lock, which every process honours. PostgreSQL: a
    /// transaction-scoped advisory lock, released at commit or rollback.
    /// </summary>
    public static Task<IDbContextTransaction> BeginAsync(LatchkeyDbContext db, CancellationToken ct) =>
        DatabaseLock.BeginAsync(db, PostgreSqlLockId, ct);

    /// <summary>The same lock on a plain ADO.NET connection (the audit writer's own, see <see cref="AuditWriter"/>).</summary>
    public static async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken ct)
    {
        switch (connection)
        {
            case SqliteConnection sqlite:
                // deferred: false is BEGIN IMMEDIATE (what EF Core's BeginTransaction issues on SQLite too).
                return sqlite.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            case NpgsqlConnection npgsql:
                var transaction = await npgsql.BeginTransactionAsync(ct);
                try
                {
                    await using var command = new NpgsqlCommand(PostgreSqlLock, npgsql, transaction);
                    await command.ExecuteNonQueryAsync(ct);
                    return transaction;
                }
                catch
                {
                    await transaction.DisposeAsync();
                    throw;
                }

            default:
                throw new NotSupportedException($"No audit chain lock for {connection?.GetType().Name}.");
        }
    }
}
