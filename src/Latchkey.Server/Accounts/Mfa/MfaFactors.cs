using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>What second factors a user can use right now.</summary>
public sealed record UserFactors(bool Totp, int Passkeys, int RecoveryCodes, bool EmailCode)
{
    /// <summary>A factor the user set up on purpose (TOTP or a passkey): once there is one, every sign-in asks for a second factor.</summary>
    public bool HasEnrolledFactor => Totp || Passkeys > 0;

    /// <summary>Whether the second-factor page can offer the user anything at all.</summary>
    public bool CanVerify => HasEnrolledFactor || RecoveryCodes > 0 || EmailCode;
}

/// <summary>Reads a user's factors and keeps Identity's <c>TwoFactorEnabled</c> flag in step with them.</summary>
public sealed class MfaFactors(
    LatchkeyDbContext db,
    TotpAuthenticators totp,
    RecoveryCodes recoveryCodes,
    EmailCodes emailCodes,
    PasskeyCredentials passkeys)
{
    public async Task<UserFactors> GetAsync(LatchkeyUser user, CancellationToken ct) => new(
        await totp.IsEnabledAsync(user.Id, ct),
        await passkeys.CountAsync(user.Id, ct),
        await recoveryCodes.CountRemainingAsync(user.Id, ct),
        emailCodes.IsAvailableFor(user));

    /// <summary>
    /// Sets <c>TwoFactorEnabled</c> from the enrolled factors. It matters for lockout: with it set, a correct password no longer
    /// resets the failure count (only a completed second factor does), so wrong codes cannot be retried forever by re-entering the
    /// password. Call after enrolling or removing a factor.
    /// </summary>
    public async Task SyncTwoFactorFlagAsync(Guid userId, CancellationToken ct)
    {
        var enabled = await totp.IsEnabledAsync(userId, ct) || await passkeys.CountAsync(userId, ct) > 0;
        var stamp = Guid.NewGuid().ToString();
        await db.Set<LatchkeyUser>()
            .Where(u => u.Id == userId && u.TwoFactorEnabled != enabled)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.TwoFactorEnabled, enabled).SetProperty(u => u.ConcurrencyStamp, stamp), ct);
    }
}
