using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>
/// Wrong second-factor codes count as failed access attempts, with Identity's lockout rule, so a stolen password does not buy
/// unlimited guesses at a 6-digit code. Counted with one atomic UPDATE (as the password check does), so parallel guesses
/// cannot lose increments.
/// </summary>
public sealed class SecondFactorLockout(LatchkeyDbContext db, IOptions<IdentityOptions> identityOptions)
{
    // Identity's lockout check reads the system clock, so the lockout end written here must come from it too.
    private static DateTimeOffset IdentityNow => DateTimeOffset.UtcNow;

    public Task<bool> IsLockedOutAsync(Guid userId, CancellationToken ct)
    {
        var now = IdentityNow;
        return db.Set<LatchkeyUser>().AsNoTracking().AnyAsync(u => u.Id == userId && u.LockoutEnabled && u.LockoutEnd != null && u.LockoutEnd > now, ct);
    }

    /// <summary>Counts one failure; true when it locked the account.</summary>
    public async Task<bool> CountFailureAsync(Guid userId, CancellationToken ct)
    {
        var lockout = identityOptions.Value.Lockout;
        var maxFailures = lockout.MaxFailedAccessAttempts;
        DateTimeOffset? lockoutEnd = IdentityNow.Add(lockout.DefaultLockoutTimeSpan);
        var stamp = Guid.NewGuid().ToString();
        await db.Set<LatchkeyUser>()
            .Where(u => u.Id == userId && u.LockoutEnabled)
            .ExecuteUpdateAsync(set => set
                .SetProperty(u => u.AccessFailedCount, u => u.AccessFailedCount + 1 >= maxFailures ? 0 : u.AccessFailedCount + 1)
                .SetProperty(u => u.LockoutEnd, u => u.AccessFailedCount + 1 >= maxFailures ? lockoutEnd : u.LockoutEnd)
                .SetProperty(u => u.ConcurrencyStamp, stamp), ct);
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
