using Latchkey.Server.Accounts.Lockout;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>
/// Wrong second-factor codes count as failed access attempts under the account's (escalating) lockout, exactly like wrong
/// passwords (<see cref="AccountLockout"/>: one atomic UPDATE, so parallel guesses cannot lose increments), so a stolen
/// password does not buy unlimited guesses at a 6-digit code. Lockout times come from <see cref="TimeProvider"/>, as Identity's
/// check does here (<c>LatchkeyUserManager</c>).
/// </summary>
public sealed class SecondFactorLockout(LatchkeyDbContext db, AccountLockout lockout, TimeProvider time)
{
    public Task<bool> IsLockedOutAsync(Guid userId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return db.Set<LatchkeyUser>().AsNoTracking().AnyAsync(u => u.Id == userId && u.LockoutEnabled && u.LockoutEnd != null && u.LockoutEnd > now, ct);
    }

    /// <summary>Counts one failure; true when the account is locked out now.</summary>
    public async Task<bool> CountFailureAsync(Guid userId, CancellationToken ct)
    {
        var user = await db.Set<LatchkeyUser>().SingleOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || !user.LockoutEnabled)
        {
            return false;
        }

        await lockout.RecordFailureAsync(user, ct);
        return await IsLockedOutAsync(userId, ct);
    }

    /// <summary>A completed second factor wipes the failures (with two-factor on, the password alone does not).</summary>
    public Task ResetAsync(Guid userId, CancellationToken ct)
    {
        var stamp = Guid.NewGuid().ToString();
        return db.Set<LatchkeyUser>()
            .Where(u => u.Id == userId && u.AccessFailedCount != 0)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.AccessFailedCount, 0).SetProperty(u => u.ConcurrencyStamp, stamp), ct);
    }
}
