using Latchkey.Server.Audit;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>An administrator's MFA actions on another user: reset (lost phone) and forced enrolment.</summary>
public sealed class MfaAdministration(
    LatchkeyDbContext db,
    TotpAuthenticators totp,
    RecoveryCodes recoveryCodes,
    EmailCodes emailCodes,
    UserSessionRevoker revoker,
    IAuditLog audit)
{
    /// <summary>
    /// Removes every second factor of the user (TOTP, recovery codes, passkeys, pending email codes), then ends all their sessions
    /// and OIDC grants: whoever held the lost factor may also hold a session. False if the user does not exist.
    /// </summary>
    public async Task<bool> ResetAsync(string userName, CancellationToken ct)
    {
        var user = await FindAsync(userName, ct);
        if (user is null)
        {
            return false;
        }

        await totp.DisableAsync(user.Id, ct);
        await recoveryCodes.RemoveAllAsync(user.Id, ct);
        await emailCodes.RemoveAsync(user.Id, ct);
        await db.Set<IdentityUserPasskey<Guid>>().Where(p => p.UserId == user.Id).ExecuteDeleteAsync(ct);
        var stamp = Guid.NewGuid().ToString();
        await db.Set<LatchkeyUser>().Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.TwoFactorEnabled, false).SetProperty(u => u.ConcurrencyStamp, stamp), ct);

        var ended = await revoker.RevokeAllAsync(user.Id, SsoSessionEndReasons.MfaReset, exceptSessionId: null, ct);
        await audit.AppendAsync(new AuditRecord(MfaAuditEvents.AdminMfaReset, AuditOutcome.Success)
        {
            SubjectId = user.Id,
            SubjectName = user.UserName,
            Details = new Dictionary<string, string> { ["sessions_ended"] = ended.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        }, ct);
        return true;
    }

    /// <summary>Sets the user's own requirement (Required = forced enrolment at the next sign-in). False if the user does not exist.</summary>
    public async Task<bool> SetRequirementAsync(string userName, MfaRequirement requirement, CancellationToken ct)
    {
        var user = await FindAsync(userName, ct);
        if (user is null)
        {
            return false;
        }

        var stamp = Guid.NewGuid().ToString();
        await db.Set<LatchkeyUser>().Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.MfaRequirement, requirement).SetProperty(u => u.ConcurrencyStamp, stamp), ct);
        await audit.AppendAsync(new AuditRecord(MfaAuditEvents.AdminMfaEnrolmentForced, AuditOutcome.Success)
        {
            SubjectId = user.Id,
            SubjectName = user.UserName,
            Details = new Dictionary<string, string> { ["requirement"] = requirement.ToString() },
        }, ct);
        return true;
    }

    private Task<LatchkeyUser?> FindAsync(string userName, CancellationToken ct)
    {
        var normalized = userName.Trim().ToUpperInvariant();
        return db.Set<LatchkeyUser>().AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, ct);
    }
}
