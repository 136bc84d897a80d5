using System.Security.Claims;
using Latchkey.Server.Accounts.Lockout;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>
/// Identity's sign-in manager, plus: a disabled user (<see cref="LatchkeyUser.IsActive"/> false) can neither sign in nor keep a session;
/// and password checks whose bookkeeping survives concurrent sign-ins of the same user (see <see cref="CheckPasswordSignInAsync"/>).
/// </summary>
public sealed class LatchkeySignInManager(
    UserManager<LatchkeyUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<LatchkeyUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<LatchkeyUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<LatchkeyUser> confirmation,
    LatchkeyDbContext db,
    AccountLockout lockout)
    : SignInManager<LatchkeyUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    // Each retry means another writer touched the same user row in between; three covers any honest contention.
    private const int RehashAttempts = 3;

    public override async Task<bool> CanSignInAsync(LatchkeyUser user) => user.IsActive && await base.CanSignInAsync(user);

    // Runs at every security-stamp validation interval, so disabling a user ends their existing cookies too.
    public override async Task<LatchkeyUser?> ValidateSecurityStampAsync(ClaimsPrincipal? principal)
    {
        var user = await base.ValidateSecurityStampAsync(principal);
        return user is { IsActive: true } ? user : null;
    }

    /// <summary>
    /// Identity's check, made safe under concurrency. Identity writes the failure count and the password rehash with
    /// optimistic concurrency on the user row, so a correct password loses to any write that lands between loading the user
    /// and saving (typically a wrong password for the same user), parallel wrong passwords lose increments (more guesses
    /// than the lockout allows), and a failed write stays tracked and makes the request's next SaveChanges throw.
    /// Here a failure is counted with one atomic UPDATE, and a correct password is judged again against the freshly reloaded
    /// user (lockout, disabled, password), then its failure count is zeroed atomically; only an (optional) rehash is saved
    /// optimistically, reloaded and retried on a conflict, and never fails the sign-in.
    /// </summary>
    public override async Task<SignInResult> CheckPasswordSignInAsync(LatchkeyUser user, string password, bool lockoutOnFailure)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);

        if (await PreSignInCheck(user) is { } refused)
        {
            return refused;
        }

        var verifiedHash = user.PasswordHash;
        var verification = Verify(user, verifiedHash, password);
        if (verification == PasswordVerificationResult.Failed)
        {
            if (UserManager.SupportsUserLockout && lockoutOnFailure)
            {
                await CountFailureAsync(user);
                if (await UserManager.IsLockedOutAsync(user))
                {
                    return await LockedOut(user);
                }
            }

            return SignInResult.Failed;
        }

        return await CompleteSuccessAsync(user, password, verifiedHash!, verification);
    }

    private PasswordVerificationResult Verify(LatchkeyUser user, string? hash, string password) =>
        hash is null ? PasswordVerificationResult.Failed : UserManager.PasswordHasher.VerifyHashedPassword(user, hash, password);

    // One statement, so concurrent failures serialise on the row and none is lost; the escalating lockout is AccountLockout's.
    private Task CountFailureAsync(LatchkeyUser user) => lockout.RecordFailureAsync(user);

    private async Task ResetFailuresAsync(LatchkeyUser user)
    {
        var stamp = Guid.NewGuid().ToString();
        var userId = user.Id;
        await db.Set<LatchkeyUser>()
            .Where(u => u.Id == userId)
            .ExecuteUpdateAsync(set => set
                .SetProperty(u => u.AccessFailedCount, 0)
                .SetProperty(u => u.ConcurrencyStamp, stamp));
        await ReloadAsync(user);
    }

    private async Task<SignInResult> CompleteSuccessAsync(LatchkeyUser user, string password, string verifiedHash, PasswordVerificationResult verification)
    {
        for (var attempt = 1; ; attempt++)
        {
            // Judge the sign-in by what is stored now, not by what was loaded before the (slow) hash: failures racing
            // this one may have locked the account, an admin may have disabled it or changed the password. The reload
            // also drops a change a previous attempt failed to save, which this request's next SaveChanges would resend.
            if (!await ReloadAsync(user))
            {
                return SignInResult.Failed;
            }

            if (await PreSignInCheck(user) is { } refused)
            {
                return refused;
            }

            if (!string.Equals(user.PasswordHash, verifiedHash, StringComparison.Ordinal))
            {
                // Changed password, or a concurrent sign-in's rehash: the password must match what is stored now.
                verification = Verify(user, user.PasswordHash, password);
                if (verification == PasswordVerificationResult.Failed)
                {
                    return SignInResult.Failed;
                }

                verifiedHash = user.PasswordHash!;
            }

            // As Identity: with two-factor on, only a completed second factor resets the count.
            var resetCount = UserManager.SupportsUserLockout && user.AccessFailedCount > 0
                && (!await IsTwoFactorEnabledAsync(user) || await IsTwoFactorClientRememberedAsync(user));
            var rehash = verification == PasswordVerificationResult.SuccessRehashNeeded;
            if (!resetCount && !rehash)
            {
                return SignInResult.Success;
            }

            if (!rehash)
            {
                // The common case needs no optimistic check: zeroing the count cannot undo a lockout (that lives in
                // LockoutEnd) and a correct password is meant to wipe failures, so racing writers cannot make it fail.
                await ResetFailuresAsync(user);
                return SignInResult.Success;
            }

            if (resetCount)
            {
                user.AccessFailedCount = 0;
            }

            // Same password, stronger hash: not a password change, so the security stamp (other sessions) stays. Optimistic,
            // so it never overwrites a password changed meanwhile.
            user.PasswordHash = UserManager.PasswordHasher.HashPassword(user, password);

            var saved = await UserManager.UpdateAsync(user);
            if (saved.Succeeded)
            {
                return SignInResult.Success;
            }

            var conflict = saved.Errors.Any(e => e.Code == UserManager.ErrorDescriber.ConcurrencyFailure().Code);
            if (conflict && attempt < RehashAttempts)
            {
                continue;
            }

            // The stronger hash is an upgrade the next sign-in can make; it must not cost the user this one.
            Logger.LogWarning("User {UserId} signed in, but the password rehash could not be saved ({Errors}).",
                user.Id, string.Join(", ", saved.Errors.Select(e => e.Code)));
            if (resetCount)
            {
                await ResetFailuresAsync(user);
            }
            else
            {
                await ReloadAsync(user);
            }

            return SignInResult.Success;
        }
    }

    /// <summary>Replaces the user's tracked values with the stored ones; false if the user no longer exists.</summary>
    private async Task<bool> ReloadAsync(LatchkeyUser user)
    {
        var entry = db.Entry(user);
        await entry.ReloadAsync();
        return entry.State != EntityState.Detached;
    }
}
