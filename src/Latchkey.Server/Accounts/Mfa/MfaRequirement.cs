namespace Latchkey.Server.Accounts.Mfa;

/// <summary>A user's own MFA setting; combined with the global policy and the app's by <see cref="MfaPolicy"/>.</summary>
public enum MfaRequirement
{
    /// <summary>Follow the global policy (<c>Latchkey:Mfa:Policy</c>).</summary>
    Default = 0,

    /// <summary>This user must use a second factor at every sign-in (an administrator forced enrolment).</summary>
    Required = 1,

    /// <summary>
    /// Explicitly optional for this user. It cannot exempt anyone from a global <c>Required</c> policy or from an app
    /// that requires MFA: the most restrictive setting wins.
    /// </summary>
    Optional = 2,
}
