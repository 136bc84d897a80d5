using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latchkey.Server.Storage;

/// <summary>
/// A transaction that holds a named lock across processes and nodes until it ends. SQLite: EF Core begins with BEGIN
/// IMMEDIATE, the file's write lock, which every process honours (one lock for everything). PostgreSQL: a
/// transaction-scoped advisory lock on <c>postgreSqlLockId</c>, released at commit or rollback.
/// </summary>
internal static class DatabaseLock
{
    public static async Task<IDbContextTransaction> BeginAsync(LatchkeyDbContext db, long postgreSqlLockId, CancellationToken ct)
    {
        var transaction = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({postgreSqlLockId})", ct);
        }

        return transaction;
    }
}
