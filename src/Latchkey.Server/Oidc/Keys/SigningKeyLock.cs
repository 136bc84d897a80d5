using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latchkey.Server.Oidc.Keys;

/// <summary>
/// Serialises changes to the key table across processes and nodes, so that nodes starting together create one first key
/// per algorithm and nodes whose schedules fire together rotate once. SQLite: EF Core begins with BEGIN IMMEDIATE, the
/// file's write lock. PostgreSQL: a transaction-scoped advisory lock. Decide inside the transaction (re-read the keys),
/// commit, and only then publish and audit (the audit writer takes its own lock).
/// </summary>
internal static class SigningKeyLock
{
    /// <summary>"LKKEYS01".</summary>
    public const long PostgreSqlLockId = 0x4C4B_4B45_5953_3031;

    public static Task<IDbContextTransaction> BeginAsync(LatchkeyDbContext db, CancellationToken ct) =>
        DatabaseLock.BeginAsync(db, PostgreSqlLockId, ct);
}
