using Microsoft.AspNetCore.Identity;

namespace Latchkey.Server.Storage;

/// <summary>A person who signs in. Identity supplies the password hash, lockout and security stamp.</summary>
public sealed class LatchkeyUser : IdentityUser<Guid>
{
    public string FirstName { get; set; } = "";

    public string LastName { get; set; } = "";

    /// <summary>Disabled users cannot sign in and are reported as <c>is_active: false</c>.</summary>
    public bool IsActive { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The user's own MFA setting (an administrator's "force enrolment" sets Required); see <c>Accounts/Mfa/MfaPolicy</c>.</summary>
    public Latchkey.Server.Accounts.Mfa.MfaRequirement MfaRequirement { get; set; }
}
