using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latchkey.Server.Audit;

/// <summary>The one lock that guards the chain head, on every provider and across nodes.</summary>
internal static class AuditChainLock
{
    /// <summary>The advisory lock id that serialises chain heads across PostgreSQL nodes ("LKAUDIT1").</summary>
    public const long PostgreSqlLockId = 0x4C4B_4155_4449_5431;

    /// <summary>
    /// Begins a transaction that holds the chain lock until it ends. SQLite: the transaction starts with
    /// BEGIN IMMEDIATE, taking the file's write lock, which every process honours. PostgreSQL: a
    /// transaction-scoped advisory lock, released at commit or rollback.
    /// </summary>
    public static async Task<IDbContextTransaction> BeginAsync(LatchkeyDbContext db, CancellationToken ct)
    {
        var transaction = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({PostgreSqlLockId})", ct);
        }

        return transaction;
    }
}
