using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>Outcome of checking a TOTP code.</summary>
public enum TotpVerification
{
    Accepted,
    WrongCode,

    /// <summary>Right code, but its time step (or a later one) was already used: a replay.</summary>
    Replayed,
    NotEnrolled,
}

/// <summary>
/// Stores, checks and removes users' TOTP authenticators. A code is accepted once: the accepted step is recorded with a
/// conditional UPDATE (<c>WHERE LastUsedTimeStep &lt; step</c>), so of two concurrent requests with the same code only one wins.
/// </summary>
public sealed class TotpAuthenticators(LatchkeyDbContext db, TotpSecretProtector protector, TimeProvider time)
{
    public Task<bool> IsEnabledAsync(Guid userId, CancellationToken ct) =>
        db.Set<TotpAuthenticator>().AnyAsync(t => t.UserId == userId, ct);

    /// <summary>
    /// Enables TOTP with a secret the user proved to hold by giving a current code. False when the code is wrong or the user
    /// already has an authenticator (a second enrolment must not silently replace the first).
    /// </summary>
    public async Task<bool> EnableAsync(Guid userId, byte[] secret, string? code, CancellationToken ct)
    {
        var step = TotpCodes.MatchStep(secret, code, time.GetUtcNow());
        if (step is null || await IsEnabledAsync(userId, ct))
        {
            return false;
        }

        db.Set<TotpAuthenticator>().Add(new TotpAuthenticator
        {
            UserId = userId,
            ProtectedSecret = protector.Protect(secret),
            LastUsedTimeStep = step.Value,
            EnabledAt = time.GetUtcNow(),
        });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            // A concurrent enrolment of the same user won the primary key.
            db.ChangeTracker.Clear();
            return false;
        }
    }

    public async Task<TotpVerification> VerifyAsync(Guid userId, string? code, CancellationToken ct)
    {
        var authenticator = await db.Set<TotpAuthenticator>().AsNoTracking().SingleOrDefaultAsync(t => t.UserId == userId, ct);
        if (authenticator is null)
        {
            return TotpVerification.NotEnrolled;
        }

        var step = TotpCodes.MatchStep(protector.Unprotect(authenticator.ProtectedSecret), code, time.GetUtcNow());
        if (step is null)
        {
            return TotpVerification.WrongCode;
        }

        var claimed = await db.Set<TotpAuthenticator>()
            .Where(t => t.UserId == userId && t.LastUsedTimeStep < step.Value)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.LastUsedTimeStep, step.Value), ct);
        return claimed == 1 ? TotpVerification.Accepted : TotpVerification.Replayed;
    }

    /// <summary>Removes the authenticator; true if there was one.</summary>
    public async Task<bool> DisableAsync(Guid userId, CancellationToken ct) =>
        await db.Set<TotpAuthenticator>().Where(t => t.UserId == userId).ExecuteDeleteAsync(ct) > 0;
}
